//! `RAXX_TIMING=1`: one stderr line saying where a command's time went.
//!
//! The command's phases are `tracing` spans (`main` for the whole command,
//! and `policy`, `load`, `resolve`, `mint` within it, each with an optional
//! `phase` field naming it more precisely, e.g. `load (installed)`). Under
//! `RAXX_TIMING=1` this layer, over tracing-subscriber's registry, keeps each
//! phase's time from its creation to its close and prints them all when
//! `main` closes:
//!
//! `raxx-host: timing: policy 0.41ms, load (installed) 3.02ms, resolve 0.52ms, mint […] total 9.87ms; in main 14.10ms`
//!
//! Without it no subscriber is installed: a span is a disabled callsite
//! check. Only raxx-host's own spans are seen (wasmtime-wasi's stay off).

use std::sync::Mutex;
use std::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// The span a command runs in; the line is printed when it closes.
pub const MAIN: &str = "main";

/// Installs the layer when `RAXX_TIMING=1`; otherwise nothing.
pub fn install_from_env() {
    if std::env::var_os("RAXX_TIMING").is_some_and(|v| v == "1") {
        let subscriber = tracing_subscriber::registry().with(Timing::default());
        let _ = tracing::subscriber::set_global_default(subscriber);
    }
}

/// The phases closed so far, in the order they closed.
#[derive(Default)]
struct Timing {
    phases: Mutex<Vec<String>>,
}

/// What a span carries while open: when it began and what to call it.
struct Phase {
    start: Instant,
    label: String,
}

/// Reads the `phase` field.
struct Label<'a>(&'a mut String);

impl Visit for Label<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "phase" {
            *self.0 = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "phase" {
            *self.0 = format!("{value:?}");
        }
    }
}

fn ours(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with("raxx_host")
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Timing {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        ours(metadata) && metadata.is_span()
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut label = attrs.metadata().name().to_string();
        attrs.record(&mut Label(&mut label));
        span.extensions_mut().insert(Phase {
            start: Instant::now(),
            label,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(phase) = extensions.get_mut::<Phase>() {
            values.record(&mut Label(&mut phase.label));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let extensions = span.extensions();
        let Some(phase) = extensions.get::<Phase>() else {
            return;
        };
        let Ok(mut phases) = self.phases.lock() else {
            return;
        };
        if span.name() == MAIN {
            eprintln!(
                "raxx-host: timing: {}; in main {:.2}ms",
                phases.join(", "),
                ms(phase.start)
            );
            phases.clear();
        } else {
            phases.push(format!("{} {:.2}ms", phase.label, ms(phase.start)));
        }
    }
}
