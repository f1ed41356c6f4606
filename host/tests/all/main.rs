//! Integration tests: the built `raxx-host` binary and library, with the real
//! component, against the shared loopback fakes (`tests/fakes`).

#![forbid(unsafe_code)]

mod agent_side;
mod audit;
mod cache;
mod capacity;
mod cli;
mod containment;
mod egress;
mod exec;
mod exit_codes;
mod fallback_floor;
mod faults;
mod forged_token;
mod git_guard;
mod harness;
mod identity;
mod incident;
mod isolate;
mod isolate_credentials;
mod isolate_git;
mod load;
mod login_methods;
mod mint;
mod policy;
mod preamble_links;
mod proxy;
mod reach;
mod real_clients;
mod sandbox;
mod session;
mod session_login;
mod smoke;
mod spawn;
mod time;
mod tls;
mod vault_login;
mod wide;
