//! User agents for the authorization step. The form agent drives login and
//! consent pages with a real HTML parser; `session` keeps each user's
//! logged-in session for reuse. Later agents (WebDriver, manual) plug in at
//! the same place.

pub mod browser_agent;
pub mod cookies;
pub mod form_agent;
pub mod manual_agent;
pub mod page;
pub mod session;
pub mod webdriver;

pub use form_agent::{authorize, AgentError, AuthzEnd, AuthzResult};
