//! Open SSE streams per client address, on this instance. A per-instance count needs no store
//! round trip per stream and cannot leak when an instance dies (its streams die with it); behind
//! a load balancer spreading one address over N instances, the effective cap is N times the
//! configured one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Default)]
pub struct StreamCounts {
    max: u64,
    open: Arc<Mutex<HashMap<IpAddr, u64>>>,
}

/// One open stream, counted until dropped.
#[derive(Debug)]
pub struct SseSlot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, u64>>>,
}

// A poisoned lock only means a panic elsewhere mid-update of a plain map; keep using it.
fn lock(m: &Mutex<HashMap<IpAddr, u64>>) -> MutexGuard<'_, HashMap<IpAddr, u64>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StreamCounts {
    /// `max == 0`: no limit.
    pub fn new(max: u64) -> Self {
        Self {
            max,
            open: Arc::default(),
        }
    }

    /// A slot for one more stream from `ip`, or `None` when it has `max` open already.
    pub fn try_open(&self, ip: IpAddr) -> Option<SseSlot> {
        let mut open = lock(&self.open);
        if self.max > 0 && open.get(&ip).is_some_and(|&n| n >= self.max) {
            return None;
        }
        *open.entry(ip).or_insert(0) += 1;
        Some(SseSlot {
            ip,
            open: self.open.clone(),
        })
    }

    #[cfg(test)]
    pub fn open_from(&self, ip: IpAddr) -> u64 {
        lock(&self.open).get(&ip).copied().unwrap_or(0)
    }
}

impl Drop for SseSlot {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_per_address_and_freed_on_drop() {
        let counts = StreamCounts::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = counts.try_open(a).unwrap();
        let _second = counts.try_open(a).unwrap();
        assert!(counts.try_open(a).is_none());
        assert!(counts.try_open(b).is_some());
        drop(first);
        assert_eq!(counts.open_from(a), 1);
        assert!(counts.try_open(a).is_some());
    }

    #[test]
    fn zero_is_no_limit() {
        let counts = StreamCounts::new(0);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let slots: Vec<_> = (0..50).filter_map(|_| counts.try_open(a)).collect();
        assert_eq!(slots.len(), 50);
    }
}
