//! Connection caps: in total and per client address. A connection over a cap is refused at
//! once (a fixed 503, then close) so that one client cannot take the file descriptors every
//! other client, and the process's own outgoing connections, need.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Which cap refused a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// `ConnectionLimits::max_connections`.
    Total,
    /// `ConnectionLimits::max_connections_per_ip`.
    PerAddress,
}

impl Refused {
    /// A label for metrics: `total` or `per_ip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Total => "total",
            Refused::PerAddress => "per_ip",
        }
    }
}

/// What a refused connection is sent before it is closed (written without waiting: if the
/// socket cannot take it at once, the close alone says it).
pub(super) const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\
    retry-after: 1\r\nconnection: close\r\n\r\n";

/// The open connections, counted. 0 as a cap means none.
pub(super) struct Conns {
    max_total: usize,
    max_per_ip: usize,
    total: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; dropping it gives its place back.
pub(super) struct Slot {
    conns: Arc<Conns>,
    ip: Option<IpAddr>,
}

impl Conns {
    pub(super) fn new(max_total: usize, max_per_ip: usize) -> Arc<Self> {
        Arc::new(Conns {
            max_total,
            max_per_ip,
            total: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
        })
    }

    /// A place for a connection counted per address under `counted_as` (`None`: not counted
    /// per address).
    pub(super) fn admit(self: &Arc<Self>, counted_as: Option<IpAddr>) -> Result<Slot, Refused> {
        let total = self.total.fetch_add(1, Ordering::Relaxed);
        // From here on, dropping `slot` undoes the count.
        let mut slot = Slot {
            conns: self.clone(),
            ip: None,
        };
        if self.max_total > 0 && total >= self.max_total {
            return Err(Refused::Total);
        }
        if let Some(ip) = counted_as.filter(|_| self.max_per_ip > 0) {
            let ip = ip.to_canonical();
            let mut per_ip = self.per_ip.lock().unwrap_or_else(PoisonError::into_inner);
            let count = per_ip.entry(ip).or_insert(0);
            if *count >= self.max_per_ip {
                return Err(Refused::PerAddress);
            }
            *count += 1;
            slot.ip = Some(ip);
        }
        Ok(slot)
    }

    #[cfg(test)]
    pub(super) fn open(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.conns.total.fetch_sub(1, Ordering::Relaxed);
        if let Some(ip) = self.ip {
            let mut per_ip = self
                .conns
                .per_ip
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = per_ip.get_mut(&ip) {
                *count -= 1;
                if *count == 0 {
                    per_ip.remove(&ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_open_connections_and_give_places_back() {
        let conns = Conns::new(3, 2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "::ffff:127.0.0.2".parse().unwrap();
        let a1 = conns.admit(Some(a)).unwrap();
        let _a2 = conns.admit(Some(a)).unwrap();
        assert_eq!(conns.admit(Some(a)).err(), Some(Refused::PerAddress));
        let _proxy = conns.admit(None).unwrap();
        assert_eq!(conns.admit(Some(b)).err(), Some(Refused::Total));
        drop(a1);
        assert_eq!(conns.open(), 2);
        let _b1 = conns.admit(Some(b)).unwrap();
        assert_eq!(
            conns.admit(Some("127.0.0.2".parse().unwrap())).err(),
            Some(Refused::Total)
        );
    }
}
