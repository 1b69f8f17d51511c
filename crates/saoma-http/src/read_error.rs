//! Why reading a request stopped: shared by the head, field and body readers.

/// Why no request could be read. The connection closes after each.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The peer closed, went quiet, or the server is stopping: close without a word.
    Gone,
    /// A malformed request: answer 400 with this message.
    Malformed(&'static str),
    /// The request line is over the head cap: answer 414.
    TargetTooLong,
    /// The head is over the cap: answer 431.
    HeadTooLarge,
    /// A transfer coding this server does not implement: answer 501.
    NotImplemented(&'static str),
}
