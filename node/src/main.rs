//! The `fuse-l2` binary: a thin shell over [`fuse_node::cli`].
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    fuse_node::cli::main()
}
