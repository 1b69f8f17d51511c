//! Requests built from pieces, valid and not, then mutated a little: a seed gives one case.

/// xorshift64*: small, seeded, the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A good form, or now and then an odd one.
    pub fn piece<'a>(&mut self, (good, odd): (&[&'a str], &[&'a str])) -> &'a str {
        if self.chance(ODD) {
            self.pick(odd)
        } else {
            self.pick(good)
        }
    }
}

/// Each piece comes in good forms and odd ones; an odd one is picked `ODD` percent of the
/// time, so most requests are valid and most refusals have one cause.
const ODD: usize = 5;

const METHODS: (&[&str], &[&str]) = (
    &["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS"],
    &["get", "G@T", ""],
);
const TARGETS: (&[&str], &[&str]) = (
    &[
        "/",
        "/a/b?c=d",
        "/healthz",
        "/%41",
        "//x",
        "http://a.example/x",
    ],
    &["*", "/a%zz", "/a b", "", "/\u{e9}", "/a#b"],
);
const VERSIONS: (&[&str], &[&str]) = (
    &["HTTP/1.1", "HTTP/1.0"],
    &["HTTP/2.0", "http/1.1", "HTTP/1.1 ", "HTTP/1", "HTTP/1.2"],
);
const HOSTS: (&[&str], &[&str]) = (
    &[
        "Host: a\r\n",
        "Host: a.example:8080\r\n",
        "Host: [::1]:80\r\n",
        "host:a\r\n",
    ],
    &[
        "Host: a b\r\n",
        "Host: a@b\r\n",
        "Host: \r\n",
        "Host: a\r\nHost: b\r\n",
        "",
    ],
);
const OTHERS: (&[&str], &[&str]) = (
    &[
        "Connection: close\r\n",
        "Connection: keep-alive\r\n",
        "Connection: keep-alive, close\r\n",
        "Connection: keep-alive\r\nConnection: close\r\n",
        "Expect: 100-continue\r\n",
        "X-A: b\r\n",
        "X-A:b \t\r\n",
        "X-Empty:\r\n",
        "X-A: caf\u{e9}\r\n",
    ],
    &[
        "X A: b\r\n",
        "X-A : b\r\n",
        "X-A: a\r\n b\r\n",
        ": b\r\n",
        "X-\u{e9}: b\r\n",
        "X-A: a\x01b\r\n",
        "X-A: a\x7fb\r\n",
    ],
);

/// How the body is framed.
enum Frame {
    None,
    Length(String),
    Chunked(String),
}

/// One request: its head and body.
fn request(rng: &mut Rng, out: &mut Vec<u8>) {
    let method = rng.piece(METHODS);
    let target = rng.piece(TARGETS);
    let version = rng.piece(VERSIONS);
    let sep = if rng.chance(97) {
        " "
    } else {
        rng.pick(&["  ", "\t", ""])
    };
    out.extend_from_slice(format!("{method}{sep}{target} {version}\r\n").as_bytes());
    out.extend_from_slice(rng.piece(HOSTS).as_bytes());
    for _ in 0..rng.below(3) {
        out.extend_from_slice(rng.piece(OTHERS).as_bytes());
    }
    let body: Vec<u8> = (0..rng.below(12)).map(|i| b'a' + (i % 26) as u8).collect();
    let frame = match rng.below(4) {
        0 => Frame::None,
        1 => Frame::Length(length(rng, body.len())),
        _ => Frame::Chunked(coding(rng)),
    };
    match &frame {
        Frame::None => {}
        Frame::Length(value) => {
            out.extend_from_slice(format!("Content-Length: {value}\r\n").as_bytes());
        }
        Frame::Chunked(value) => {
            out.extend_from_slice(format!("Transfer-Encoding: {value}\r\n").as_bytes());
            if rng.chance(10) {
                out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    match frame {
        Frame::None => {}
        Frame::Length(_) => out.extend_from_slice(&body),
        Frame::Chunked(_) => chunks(rng, &body, out),
    }
}

fn length(rng: &mut Rng, len: usize) -> String {
    if !rng.chance(ODD * 2) {
        return len.to_string();
    }
    match rng.below(9) {
        0 => format!("+{len}"),
        1 => format!("{len}, {len}"),
        2 => format!("{len}\r\nContent-Length: {len}"),
        3 => format!("{len}\r\nContent-Length: {}", len + 1),
        4 => format!(" {len} "),
        5 => format!("0{len}"),
        6 => "-1".into(),
        7 => format!("{}", len.saturating_sub(1)),
        _ => len.to_string(),
    }
}

fn coding(rng: &mut Rng) -> String {
    rng.piece((
        &["chunked", "Chunked", " chunked", ", chunked"],
        &[
            "gzip, chunked",
            "chunked, gzip",
            "identity",
            "chunked, chunked",
            "chunked\r\nTransfer-Encoding: chunked",
            "gzip\r\nTransfer-Encoding: chunked",
        ],
    ))
    .to_string()
}

fn chunks(rng: &mut Rng, body: &[u8], out: &mut Vec<u8>) {
    let mut rest = body;
    while !rest.is_empty() {
        let n = 1 + rng.below(rest.len());
        let kinds = if rng.chance(ODD) { 12 } else { 7 };
        let size = match rng.below(kinds) {
            0 => format!("{n:X}"),
            1 => format!("0{n:x}"),
            2 => format!("{n:x} "),
            3 => format!("{n:x};ext"),
            4 => format!("{n:x};a=b;c=\"d e\""),
            5 => format!("{n:x} ; a = b"),
            6 => format!("{n:x}"),
            7 => format!("{n:x};a\x01"),
            8 => format!("+{n:x}"),
            9 => format!("{n:x}\n"),
            10 => format!("0x{n:x}"),
            _ => format!("{n:x}"),
        };
        out.extend_from_slice(format!("{size}\r\n").as_bytes());
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(if rng.chance(97) { b"\r\n" } else { b"xx" });
        rest = &rest[n..];
    }
    out.extend_from_slice(
        rng.pick(&["0", "0", "0", "000", "0;ext=1", "0 "])
            .as_bytes(),
    );
    out.extend_from_slice(b"\r\n");
    let trailers = rng.piece((
        &["", "", "T: v\r\n", "T: v\r\nU:w\r\n", "T:\r\n"],
        &[
            "GET /x HTTP/1.1\r\n",
            "bad line\r\n",
            ": v\r\n",
            "T: v\r\n folded\r\n",
            "T : v\r\n",
            "T: a\x01\r\n",
        ],
    ));
    out.extend_from_slice(trailers.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// A few small changes: a CRLF made a bare LF or a bare CR, a byte dropped, doubled or
/// turned into NUL, a space or a stray byte inserted.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..rng.below(3) {
        if bytes.is_empty() {
            return;
        }
        let at = rng.below(bytes.len());
        match rng.below(8) {
            0 | 1 => {
                if let Some(cr) = bytes[at..].windows(2).position(|w| w == b"\r\n") {
                    let cr = at + cr;
                    if rng.chance(50) {
                        bytes.remove(cr);
                    } else {
                        bytes.remove(cr + 1);
                    }
                }
            }
            2 => {
                bytes.remove(at);
            }
            3 => bytes.insert(at, bytes[at]),
            4 => bytes[at] = 0,
            5 => bytes.insert(at, b' '),
            6 => bytes.insert(at, b"\r\n\t;:,\"\x0b\xff"[rng.below(9)]),
            _ => bytes.insert(at, b'\n'),
        }
    }
}

/// One case: one request or a pipelined pair, mutated in a quarter of the cases.
pub fn case(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    if rng.chance(5) {
        out.extend_from_slice(b"\r\n");
    }
    request(&mut rng, &mut out);
    if rng.chance(40) {
        request(&mut rng, &mut out);
    }
    if rng.chance(25) {
        mutate(&mut rng, &mut out);
    }
    out
}
