//! `raxx-host compile --out-dir DIR`: the component's compiled code for an
//! installation (scripts/install).

use crate::cli::context::Context;
use crate::cli::output::print;
use crate::error::Error;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Folder to write raxx_minter.<sha>.cwasm into (beside the installed component).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// `compile --out-dir DIR`: the installed artifact (scripts/install).
pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let path = context
        .runtime
        .write_installed_artifact(&args.out_dir)
        .map_err(Error::host)?;
    print(&format!("{}\n", path.display()))
}
