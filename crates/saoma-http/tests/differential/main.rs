//! Saoma's parser against hyper's (hyper 1.x's HTTP/1.1 server over an in-memory pipe), on
//! generated and mutated requests: request lines, header fields, Content-Length and
//! Transfer-Encoding together or not, chunk sizes and extensions, trailers, CR, LF and NUL
//! where they do not belong, pipelined pairs. The test fails when one accepts what the other
//! refuses, or when they read different requests or bodies, except for the deliberate
//! differences in `DELIBERATE` (where Saoma is stricter).
//!
//! Seeded, so a failure names the seed and its bytes. 5,000 cases by default (about a second);
//! `DIFF_CASES=100000 cargo test -p saoma-http --test differential` runs more.

mod generate;
mod hyper_side;

use saoma_http::fuzzing::{End, parse_all, parse_in_two};

/// Saoma refuses these where hyper reads on; each is a rule of RFC 9112 that hyper leaves
/// to the application (the refusal reason Saoma gives, and why).
const DELIBERATE: &[&str] = &[
    // §3.2: exactly one Host in HTTP/1.1, its value an authority (hyper does not look).
    "an HTTP/1.1 request needs one Host header",
    "invalid Host header",
    // §6.1: a transfer coding the server does not implement is 501 (hyper hands the still
    // gzip-coded body to the service).
    "only the chunked transfer coding is implemented",
    // §6.3: Transfer-Encoding beside Content-Length is refused, not resolved (hyper drops the
    // Content-Length); chunked applied twice is invalid (§7).
    "unsupported Transfer-Encoding",
    "chunked applied twice",
    // §8.6: Content-Length is digits; hyper also takes a list of equal values ("5, 5").
    "invalid Content-Length",
    // §7.1: chunked framing is CRLF-delimited; hyper also takes a bare LF in the trailer
    // section (as in a head). A front end that ends lines only at CRLF would read those
    // trailers, and where the message ends, differently.
    "a chunk or trailer line must end with CRLF",
    // §7.1.2: a trailer line is a field line. Saoma checks each as it ends; hyper only once
    // the trailer section has (it too refuses `0\r\nGET /x HTTP/1.1\r\n\r\n`), so with no
    // end in sight it is still waiting where Saoma has refused.
    "invalid trailers",
    // §7.1.1: chunk extensions are tokens and quoted strings, so no control bytes; hyper
    // skips extension bytes unread. A proxy that ends lines at some control byte must not
    // find a line end inside a chunk line that we do not.
    "a control byte in a chunk or trailer line",
];

/// Caps far above what the generator makes: sizes are not what is compared.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: u64 = 1 << 20;

/// What a server made of the bytes, in terms both can be held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Method, target, version, header fields and body of each request served.
    pub requests: Vec<Request>,
    pub end: Ending,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The input ended between requests, or the connection closed as a request asked.
    Done,
    /// The input ended inside a request.
    Incomplete,
    /// A request was refused (Saoma says why).
    Refused(String),
}

/// Header fields as both keep them: hyper folds repeated, equal Content-Length fields into
/// one, so Content-Length is left out (the bodies say how each framed the message).
pub fn fields(headers: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    headers
        .into_iter()
        .filter(|(name, _)| name != "content-length")
        .collect()
}

fn saoma_reads(input: &[u8]) -> Reading {
    let parsed = parse_all(input, MAX_HEAD, MAX_BODY);
    Reading {
        requests: parsed
            .requests
            .into_iter()
            .map(|r| Request {
                method: r.method,
                target: r.target,
                version: r.version,
                headers: fields(r.headers),
                body: r.body,
            })
            .collect(),
        end: match parsed.end {
            End::Clean | End::Closed => Ending::Done,
            End::Incomplete => Ending::Incomplete,
            End::OverMax => Ending::Refused("over max".into()),
            End::Refused(_, why) => Ending::Refused(why.into()),
        },
    }
}

/// `None` when they agree (or differ deliberately), else what differs.
fn compare(input: &[u8], saoma: &Reading, hyper: &Reading) -> Option<String> {
    let same_class = match (&saoma.end, &hyper.end) {
        (Ending::Refused(_), Ending::Refused(_)) => true,
        (s, h) => s == h,
    };
    if saoma.requests == hyper.requests && same_class {
        return None;
    }
    // Empty lines after the last request: Saoma waits for a request line (§2.2 lets a server
    // skip empty lines before one), hyper ends at EOF. Neither serves or refuses anything.
    if saoma.requests == hyper.requests
        && saoma.end == Ending::Incomplete
        && hyper.end == Ending::Done
    {
        let mut trimmed = input;
        while let [rest @ .., b'\r' | b'\n'] = trimmed {
            trimmed = rest;
            if saoma_reads(trimmed).end == Ending::Done {
                return None;
            }
        }
    }
    // Saoma stricter on purpose: it refused, for a listed reason, where hyper read on.
    if let Ending::Refused(why) = &saoma.end {
        let read_on =
            hyper.requests.len() > saoma.requests.len() || !matches!(hyper.end, Ending::Refused(_));
        if DELIBERATE.contains(&why.as_str())
            && read_on
            && hyper.requests.starts_with(&saoma.requests)
        {
            return None;
        }
    }
    Some(format!(
        "input {:?}\n saoma: {}\n hyper: {}",
        String::from_utf8_lossy(input),
        summary(saoma),
        summary(hyper)
    ))
}

/// The requests (method, target, body) and the end, on one line.
fn summary(reading: &Reading) -> String {
    let requests: Vec<String> = reading
        .requests
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {:?} body {:?}",
                r.method,
                r.target,
                r.version,
                r.headers
                    .iter()
                    .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v)))
                    .collect::<Vec<_>>(),
                String::from_utf8_lossy(&r.body)
            )
        })
        .collect();
    format!("{requests:?} then {:?}", reading.end)
}

#[tokio::test]
async fn saoma_and_hyper_read_generated_requests_alike() {
    let cases: u64 = std::env::var("DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000);
    let mut failures = Vec::new();
    // How the cases ended, so that a generator that only makes garbage is noticed.
    let (mut served, mut refused, mut incomplete) = (0, 0, 0);
    for seed in 0..cases {
        let input = generate::case(seed);
        let saoma = saoma_reads(&input);
        // Where packets end must not matter (the fuzz target checks this on any bytes).
        let at = (seed as usize * 7) % (input.len() + 1);
        assert_eq!(
            parse_in_two(&input, at, MAX_HEAD, MAX_BODY),
            parse_all(&input, MAX_HEAD, MAX_BODY),
            "seed {seed}, split at {at}"
        );
        let hyper = hyper_side::reads(&input).await;
        served += saoma.requests.len();
        match saoma.end {
            Ending::Refused(_) => refused += 1,
            Ending::Incomplete => incomplete += 1,
            Ending::Done => {}
        }
        if let Some(diff) = compare(&input, &saoma, &hyper) {
            failures.push(format!("seed {seed}: {diff}"));
        }
    }
    println!("{cases} cases: {served} requests served, {refused} refused, {incomplete} incomplete");
    assert!(
        served as u64 > cases / 2 && refused as u64 > cases / 10,
        "the generator makes too few valid or too few invalid requests"
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ; the first:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
