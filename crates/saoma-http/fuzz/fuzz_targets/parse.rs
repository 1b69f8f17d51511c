//! Any bytes through the request parser: it never panics, a body never passes its cap by more
//! than the one byte that says "too large", and reading the input in two parts (as packets
//! arrive) gives what reading it whole does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saoma_http::fuzzing::{parse_all, parse_in_two};

const MAX_HEAD: usize = 4096;
const MAX_BODY: u64 = 1024;

fuzz_target!(|data: &[u8]| {
    let whole = parse_all(data, MAX_HEAD, MAX_BODY);
    for request in &whole.requests {
        assert!(request.body.len() as u64 <= MAX_BODY + 1);
    }
    if let Some((&split, rest)) = data.split_first() {
        let at = usize::from(split) % (rest.len() + 1);
        let parts = parse_in_two(rest, at, MAX_HEAD, MAX_BODY);
        assert_eq!(parts, parse_all(rest, MAX_HEAD, MAX_BODY));
    }
});
