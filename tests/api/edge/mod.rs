//! The HTTP edge: security headers, HTTP/1.1 on a raw socket, limits, large pages, what the browser clients rely on, the pages people open.
pub mod clients;
pub mod clients_pages;
pub mod docs_memory;
pub mod headers;
pub mod http1;
pub mod limits;
