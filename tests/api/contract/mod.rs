//! The contract with operators and clients: the checked-in OpenAPI document, the docs' paths, the binary, bad configuration.
pub mod cli;
pub mod cli_deploy;
pub mod config_refusals;
pub mod docs_paths;
pub mod openapi_doc;
pub mod spec;
