//! `raxx-host`: the CLI over the raxx-host library (`raxx_host::cli`).

#![forbid(unsafe_code)]

// Every freed heap block is wiped: buffers that held a secret do not keep it.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

fn main() -> std::process::ExitCode {
    raxx_host::cli::main()
}
