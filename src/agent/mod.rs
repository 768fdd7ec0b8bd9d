//! User agents for the authorization step. The form agent drives login and
//! consent pages with a real HTML parser; later agents (WebDriver, manual)
//! plug in at the same place.

pub mod cookies;
pub mod form_agent;
pub mod page;

pub use form_agent::{authorize, AgentError, AuthzEnd, AuthzResult};
