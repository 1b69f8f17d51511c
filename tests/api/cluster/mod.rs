//! Many instances on one Redis: one truth, shared limits, what a scene costs, outages, the store contract.
pub mod footprint;
pub mod instances;
pub mod limits;
pub mod one_truth;
pub mod outage;
pub mod store_contract;
