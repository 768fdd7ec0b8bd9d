//! `grantcheck fuzz`: protocol fuzzing of a live issuer.
//!
//! The fuzzer does not send bytes of its own: it generates *scenarios*.
//! An [`input::Input`] is a base flow (a code exchange, a refresh, an
//! authorization request, ...) run as one of the profile's clients, with
//! protocol-aware mutations stacked on its probed request ([`grammar`]
//! says what each parameter means). [`effect`] derives what the protocol
//! demands of the mutated request (refused, accepted, or left open),
//! [`oracle`] writes that and the generic oracles as the suite's own
//! assertions, and [`build`] makes the whole a scenario file that the
//! runner executes with real material: logins, codes, verifiers, tokens.
//! So the oracles are the suite's, a finding is a scenario that replays
//! with `grantcheck run --suites`, and the fuzzer inherits every guard of
//! the runner (money, production, rate limit, deadlines, redaction).
//!
//! The pure core (everything but [`driver`]) is unit- and property-tested;
//! the driver runs batches, steers by response classes ([`class`]), keeps
//! a resumable corpus ([`corpus`]) and shrinks failures into deduplicated
//! findings ([`finding`]).

pub mod build;
pub mod class;
pub mod corpus;
pub mod effect;
pub mod finding;
pub mod generate;
pub mod grammar;
pub mod input;
pub mod oracle;
pub mod rng;
pub mod surface;

#[cfg(feature = "runtime")]
pub mod driver;
#[cfg(feature = "runtime")]
pub mod matrix;
