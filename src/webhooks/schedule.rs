//! When a failed delivery is tried again: 5 s, 30 s, 2 min, 10 min, 1 h, 6 h, then every 6 h
//! until three days after the event (`accounts::RETRY_FOR`), each delay with ±20 % jitter so
//! that deliveries failed together do not all come back together.

use rand::Rng;
use std::time::Duration;

const DELAYS: [u64; 6] = [5, 30, 120, 600, 3600, 6 * 3600];

/// The delay after failed attempt number `attempt` (1 for the first), before jitter.
pub fn base_delay(attempt: i64) -> Duration {
    let index = usize::try_from(attempt.max(1) - 1).unwrap_or(usize::MAX);
    Duration::from_secs(DELAYS.get(index).copied().unwrap_or(6 * 3600))
}

/// The delay with its jitter: between 80 % and 120 % of [`base_delay`].
pub fn delay(attempt: i64) -> Duration {
    base_delay(attempt).mul_f64(rand::rng().random_range(0.8..1.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_then_stays_at_six_hours() {
        let secs: Vec<u64> = (1..=8).map(|n| base_delay(n).as_secs()).collect();
        assert_eq!(secs, [5, 30, 120, 600, 3600, 21600, 21600, 21600]);
        for _ in 0..100 {
            let d = delay(1).as_secs_f64();
            assert!((4.0..=6.0).contains(&d), "{d}");
        }
    }
}
