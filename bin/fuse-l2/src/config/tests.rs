use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{CommandFactory as _, FromArgMatches as _};

use super::*;
use crate::cli::{Cli, Command as Sub};

const HEX_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/// The real command line, reading from the environment only what `env` maps (long name →
/// variable): the tests cannot set variables (no `unsafe`), and an operator's FUSE_* in the
/// shell that runs them must not change what they see.
fn cli(env: &[(&str, &'static str)]) -> Command {
    // The global options are the top command's.
    let top = command(Cli::command()).mut_arg("log_format", |a| a.env(None));
    COMMANDS.iter().fold(top, |cmd, name| {
        cmd.mut_subcommand(name, |sub| {
            let ids: Vec<(clap::Id, Option<&'static str>)> = sub
                .get_arguments()
                .map(|a| {
                    let var = env.iter().find(|(l, _)| a.get_long() == Some(*l));
                    (a.get_id().clone(), var.map(|(_, v)| *v))
                })
                .collect();
            ids.into_iter()
                .fold(sub, |sub, (id, var)| sub.mut_arg(id, |a| a.env(var)))
        })
    })
}

fn run(cmd: Command, args: &[&str]) -> Result<Loaded, Failure> {
    let argv = std::iter::once("fuse-l2")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect();
    load(cmd, argv)
}

fn loaded(r: Result<Loaded, Failure>) -> Loaded {
    match r {
        Ok(l) => l,
        Err(Failure::Usage(e)) => panic!("usage error: {e}"),
        Err(Failure::Config(e)) => panic!("config error: {e:#}"),
    }
}

/// The config error `r` must be.
fn config_error(r: Result<Loaded, Failure>) -> String {
    match r {
        Ok(_) => panic!("accepted"),
        Err(Failure::Usage(e)) => panic!("a usage error instead: {e}"),
        Err(Failure::Config(e)) => format!("{e:#}"),
    }
}

fn node(l: &Loaded) -> crate::commands::node::Args {
    match Cli::from_arg_matches(&l.matches).unwrap().command {
        Sub::Node(a) => a,
        other => panic!("not the node: {other:?}"),
    }
}

fn validator(l: &Loaded) -> crate::commands::validator::Args {
    match Cli::from_arg_matches(&l.matches).unwrap().command {
        Sub::Validator(a) => *a,
        other => panic!("not the validator: {other:?}"),
    }
}

/// `text` written to a config file in `dir`.
fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The line `--print-config` printed for `key`.
fn line<'a>(printed: &'a str, key: &str) -> &'a str {
    printed
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")) || l.starts_with(&format!("# {key} (")))
        .unwrap_or_else(|| panic!("no line for {key}:\n{printed}"))
}

#[test]
fn a_global_option_and_the_metrics_address_are_keys_too() {
    use crate::logs::LogFormat;
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "node.toml",
        "l1-rpc = \"http://l1:8545\"\ndata-dir = \"/d\"\nlog-format = \"json\"\n\
         metrics-addr = \"127.0.0.1:9100\"\n",
    );
    let l = loaded(run(cli(&[]), &["node", "--config", &f]));
    assert_eq!(
        Cli::from_arg_matches(&l.matches).unwrap().log_format,
        LogFormat::Json
    );
    assert_eq!(
        node(&l).metrics_addr,
        Some("127.0.0.1:9100".parse().unwrap())
    );
    let printed = print_config(&loaded(run(
        cli(&[]),
        &["node", "--config", &f, "--print-config"],
    )))
    .unwrap();
    assert_eq!(
        line(&printed, "log-format"),
        "log-format = \"json\"  # file"
    );
    assert_eq!(
        line(&printed, "metrics-addr"),
        "metrics-addr = \"127.0.0.1:9100\"  # file"
    );
    // The command line still wins, before the command's name or after it.
    for args in [
        &["--log-format", "text", "node", "--config", &f][..],
        &["node", "--config", &f, "--log-format", "text"],
    ] {
        let l = loaded(run(cli(&[]), args));
        assert_eq!(
            Cli::from_arg_matches(&l.matches).unwrap().log_format,
            LogFormat::Text,
            "{args:?}"
        );
    }
    // Without the option anywhere: text, and off.
    let l = loaded(run(
        cli(&[]),
        &[
            "validator",
            "--l1-rpc",
            "http://l1:8545",
            "--data-dir",
            "/v",
        ],
    ));
    assert_eq!(
        Cli::from_arg_matches(&l.matches).unwrap().log_format,
        LogFormat::Text
    );
    assert_eq!(validator(&l).metrics_addr, None);
    let f = write(&dir, "bad.toml", "log-format = \"xml\"\n");
    let e = config_error(run(cli(&[]), &["node", "--config", &f]));
    assert!(e.contains("`log-format`") && e.contains("not valid"), "{e}");
}

#[test]
fn the_command_line_beats_the_environment_beats_the_file_beats_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "node.toml",
        "l1-rpc = \"http://file:8545\"\ndata-dir = \"/file/data\"\nconfirmations = 12\n\
         poll-ms = 300\n",
    );
    let l = loaded(run(cli(&[]), &["node", "--config", &f]));
    let a = node(&l);
    assert_eq!(a.l1_rpc, "http://file:8545");
    assert_eq!(a.data_dir, PathBuf::from("/file/data"));
    assert_eq!(a.confirmations, Some(12));
    assert_eq!(a.poll_ms, Some(300));
    assert_eq!(a.rpc_addr.to_string(), "127.0.0.1:8547", "the default");

    // `--data-dir` read from PATH stands for an environment variable the operator set.
    let path = std::env::var("PATH").expect("PATH is set");
    let env = [("data-dir", "PATH")];
    let args = [
        "node",
        "--config",
        &f,
        "--confirmations",
        "3",
        "--print-config",
    ];
    let l = loaded(run(cli(&env), &args));
    let a = node(&l);
    assert_eq!(
        a.data_dir,
        PathBuf::from(&path),
        "the environment beats the file"
    );
    assert_eq!(a.confirmations, Some(3), "the command line beats the file");
    assert_eq!(a.poll_ms, Some(300), "the file beats the default");
    assert_eq!(a.batch_interval_ms, 2_000);
    let printed = print_config(&l).expect("--print-config was given");
    assert!(
        line(&printed, "data-dir").ends_with("  # env PATH"),
        "{printed}"
    );
    assert_eq!(
        line(&printed, "confirmations"),
        "confirmations = 3  # command line"
    );
    assert_eq!(line(&printed, "poll-ms"), "poll-ms = 300  # file");
    assert_eq!(
        line(&printed, "rpc-addr"),
        "rpc-addr = \"127.0.0.1:8547\"  # default"
    );
    assert_eq!(line(&printed, "deploy"), "deploy = false  # default");
    assert!(printed.contains(&format!("# config file: {f} (command line)")));

    let args = ["node", "--config", &f, "--data-dir", "/cli/data"];
    let a = node(&loaded(run(cli(&env), &args)));
    assert_eq!(
        a.data_dir,
        PathBuf::from("/cli/data"),
        "the command line beats the environment"
    );

    // Without --print-config there is nothing to print, and the other commands parse as before.
    assert!(print_config(&loaded(run(cli(&[]), &["node", "--config", &f]))).is_none());
    assert!(run(cli(&[]), &["hashes"]).is_ok());
}

#[test]
fn required_options_can_come_from_the_file_and_are_still_required() {
    let dir = tempfile::tempdir().unwrap();
    let missing = |r: Result<Loaded, Failure>| match r {
        Err(Failure::Usage(e)) if e.kind() == ErrorKind::MissingRequiredArgument => e.to_string(),
        Err(Failure::Usage(e)) => panic!("another usage error: {e}"),
        Err(Failure::Config(e)) => panic!("a config error: {e:#}"),
        Ok(_) => panic!("accepted"),
    };
    let e = missing(run(cli(&[]), &["node"]));
    assert!(e.contains("--l1-rpc") && e.contains("--data-dir"), "{e}");

    let half = write(&dir, "half.toml", "l1-rpc = \"http://l1:8545\"\n");
    let e = missing(run(cli(&[]), &["node", "--config", &half]));
    assert!(e.contains("--data-dir") && !e.contains("--l1-rpc"), "{e}");
    let e = missing(run(cli(&[]), &["validator", "--config", &half]));
    assert!(e.contains("--data-dir") && !e.contains("--l1-rpc"), "{e}");

    let whole = write(
        &dir,
        "whole.toml",
        "l1-rpc = \"http://l1:8545\"\ndata-dir = \"/var/lib/fuse\"\n",
    );
    let a = node(&loaded(run(cli(&[]), &["node", "--config", &whole])));
    assert_eq!(
        (a.l1_rpc.as_str(), a.data_dir),
        ("http://l1:8545", PathBuf::from("/var/lib/fuse"))
    );
    let v = validator(&loaded(run(cli(&[]), &["validator", "--config", &whole])));
    assert_eq!(v.l1_rpc.as_deref(), Some("http://l1:8545"));
    assert_eq!(v.data_dir, Some(PathBuf::from("/var/lib/fuse")));
}

#[test]
fn an_unknown_key_is_refused_with_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "typo.toml", "l1_rpc = \"http://l1:8545\"\n");
    let e = config_error(run(cli(&[]), &["node", "--config", &f]));
    assert!(e.contains(&f) && e.contains("`l1_rpc`"), "{e}");
    assert!(e.contains("did you mean `l1-rpc`?"), "{e}");
    for valid in [
        "l1-rpc, keystore, password-file, data-dir",
        "confirmations",
        "poll-ms",
    ] {
        assert!(e.contains(valid), "{e}");
    }
    assert!(!e.contains("key,") && !e.contains("config,"), "{e}");

    // A validator's key is unknown to the node, and `config` to both.
    for text in ["next-guest = [\"a.wasm\"]\n", "config = \"other.toml\"\n"] {
        let f = write(&dir, "other.toml", text);
        let e = config_error(run(cli(&[]), &["node", "--config", &f]));
        assert!(e.contains("unknown key"), "{e}");
    }
}

#[test]
fn a_value_of_the_wrong_type_or_that_does_not_parse_names_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 8] = [
        (
            "node",
            "confirmations = \"64\"",
            "must be an integer, not a string",
        ),
        (
            "node",
            "confirmations = 6.4",
            "must be an integer, not a float",
        ),
        ("node", "confirmations = -1", "must not be negative"),
        (
            "node",
            "deploy = \"yes\"",
            "must be true or false, not a string",
        ),
        ("node", "data-dir = 5", "must be a string, not an integer"),
        (
            "node",
            "rpc-addr = \"nowhere\"",
            "is not valid: invalid socket address",
        ),
        (
            "validator",
            "next-guest = \"a.wasm\"",
            "must be an array of strings, not a string",
        ),
        (
            "validator",
            "next-guest = [\"a.wasm\", 2]",
            "must be an array of strings, not an integer, among its items",
        ),
    ];
    for (which, text, why) in cases {
        let f = write(&dir, "wrong.toml", &format!("{text}\n"));
        let e = config_error(run(cli(&[]), &[which, "--config", &f]));
        let key = text.split(' ').next().unwrap();
        assert!(e.contains(&f), "{text}: {e}");
        assert!(e.contains(&format!("`{key}`")), "{text}: {e}");
        assert!(e.contains(why), "{text}: {e}");
    }

    // The value is not repeated: it may hold a provider's API key.
    let f = write(
        &dir,
        "url.toml",
        "l1-rpc = [\"https://rpc.example/v3/APIKEY\"]\n",
    );
    let e = config_error(run(cli(&[]), &["node", "--config", &f]));
    assert!(e.contains("`l1-rpc` must be a string, not an array"), "{e}");
    assert!(!e.contains("APIKEY"), "{e}");

    let f = write(&dir, "broken.toml", "l1-rpc = \"http://l1\n");
    let e = config_error(run(cli(&[]), &["node", "--config", &f]));
    assert!(e.contains(&f) && e.contains("not valid TOML"), "{e}");
    let absent = dir.path().join("absent.toml");
    let absent = absent.to_str().unwrap();
    let e = config_error(run(cli(&[]), &["node", "--config", absent]));
    assert!(
        e.contains("cannot read the config file") && e.contains(absent),
        "{e}"
    );
}

#[test]
fn a_private_key_in_the_file_is_refused_and_a_keystore_taken() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "key.toml",
        &format!("l1-rpc = \"http://l1\"\ndata-dir = \"/d\"\nkey = \"{HEX_KEY}\"\n"),
    );
    // With the real variables' names: the error names them.
    for (which, var) in [("node", "FUSE_L1_KEY"), ("validator", "FUSE_VALIDATOR_KEY")] {
        let e = config_error(run(command(Cli::command()), &[which, "--config", &f]));
        assert!(e.contains("sets `key`") && e.contains(&f), "{e}");
        assert!(
            e.contains("`keystore`") && e.contains("`password-file`"),
            "{e}"
        );
        assert!(e.contains(var), "{e}");
        assert!(!e.contains(&HEX_KEY[4..]), "the key is never repeated: {e}");
    }

    let f = write(
        &dir,
        "keystore.toml",
        "l1-rpc = \"http://l1\"\ndata-dir = \"/d\"\nkeystore = \"/keys/node.json\"\n\
         password-file = \"/keys/password\"\n",
    );
    let a = node(&loaded(run(cli(&[]), &["node", "--config", &f])));
    assert_eq!(a.keystore.keystore, Some(PathBuf::from("/keys/node.json")));
    assert_eq!(
        a.keystore.password_file,
        Some(PathBuf::from("/keys/password"))
    );
}

#[test]
fn print_config_reads_back_as_the_same_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "node.toml",
        "l1-rpc = \"https://user:pw@rpc.example/v3/SECRETKEY\"\ndata-dir = \"/d\"\n\
         chain-id = 7\ndeploy = true\n",
    );
    let args = [
        "node",
        "--config",
        &f,
        "--key",
        HEX_KEY,
        "--rpc-addr",
        "0.0.0.0:9000",
        "--print-config",
    ];
    let first = print_config(&loaded(run(cli(&[]), &args))).unwrap();
    assert!(!first.contains(&HEX_KEY[4..]), "{first}");
    assert_eq!(
        line(&first, "key"),
        "# key (set, never printed)  # command line"
    );
    assert!(
        !first.contains("SECRETKEY") && !first.contains("pw@"),
        "{first}"
    );
    assert_eq!(
        line(&first, "l1-rpc"),
        "l1-rpc = \"https://rpc.example/…\"  # file"
    );
    assert_eq!(
        line(&first, "confirmations"),
        "# confirmations (not set)  # default"
    );
    // Every key, in the order of `--help`, although the file set some of them.
    let node_cmd = cli(&[]);
    let help_order: Vec<&str> = node_cmd
        .find_subcommand("node")
        .unwrap()
        .get_arguments()
        .filter_map(Arg::get_long)
        .filter(|l| !["config", "print-config"].contains(l))
        .collect();
    let printed: Vec<&str> = help_order.iter().map(|k| line(&first, k)).collect();
    let mut in_order = printed.clone();
    in_order.sort_by_key(|l| first.find(*l));
    assert_eq!(printed, in_order, "{first}");
    assert_eq!(help_order.len(), 17, "{help_order:?}");

    let again = write(&dir, "again.toml", &first);
    let second = print_config(&loaded(run(
        cli(&[]),
        &["node", "--config", &again, "--print-config"],
    )))
    .unwrap();
    let table = |s: &str| s.parse::<toml::Table>().unwrap();
    assert_eq!(table(&first), table(&second), "{first}\n---\n{second}");
    assert_eq!(
        line(&second, "rpc-addr"),
        "rpc-addr = \"0.0.0.0:9000\"  # file"
    );
    assert_eq!(line(&second, "key"), "# key (not set)  # default");

    // The validator's repeatable option and flags too.
    let f = write(
        &dir,
        "validator.toml",
        "l1-rpc = \"http://l1:8545\"\ndata-dir = \"/v\"\ndeployment = \"/d/deployment.json\"\n\
         next-guest = [\"a.wasm\", \"b.wasm\"]\nlie-first-batch = true\nlie-at-step = 9\n",
    );
    let first = print_config(&loaded(run(
        cli(&[]),
        &["validator", "--config", &f, "--print-config"],
    )))
    .unwrap();
    assert_eq!(
        line(&first, "next-guest"),
        "next-guest = [\"a.wasm\", \"b.wasm\"]  # file"
    );
    let again = write(&dir, "again.toml", &first);
    let l = loaded(run(cli(&[]), &["validator", "--config", &again]));
    let v = validator(&l);
    assert_eq!(
        v.next_guests,
        [PathBuf::from("a.wasm"), PathBuf::from("b.wasm")]
    );
    assert!(v.lie.lie_first_batch);
    assert_eq!(v.lie.lie_at_step, Some(9));
    assert_eq!(v.rpc, None);
    let second = print_config(&loaded(run(
        cli(&[]),
        &["validator", "--config", &again, "--print-config"],
    )))
    .unwrap();
    assert_eq!(table(&first), table(&second));
}

#[test]
fn conflicting_options_are_refused_when_the_file_gives_one() {
    let dir = tempfile::tempdir().unwrap();
    let base = "l1-rpc = \"http://l1\"\ndata-dir = \"/v\"\ndeployment = \"/d.json\"\n";
    let f = write(&dir, "one.toml", base);
    let e = config_error(run(
        cli(&[]),
        &["validator", "--config", &f, "--rpc", "http://node:8547"],
    ));
    assert!(
        e.contains("--deployment (file)") && e.contains("--rpc (command line)"),
        "{e}"
    );
    let f = write(
        &dir,
        "both.toml",
        &format!("{base}rpc = \"http://node:8547\"\n"),
    );
    let e = config_error(run(cli(&[]), &["validator", "--config", &f]));
    assert!(e.contains("cannot be used with"), "{e}");
    // A flag the file turns off is no conflict.
    let f = write(
        &dir,
        "off.toml",
        &format!("{base}lie-first-batch = false\nlie-seed = 4\n"),
    );
    assert!(run(cli(&[]), &["validator", "--config", &f]).is_ok());
}

#[test]
fn the_config_file_is_for_the_run_not_for_validator_status() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "v.toml", "data-dir = \"/v\"\n");
    let status = [
        "status",
        "--l1-rpc",
        "http://l1",
        "--address",
        &HEX_KEY[..42],
    ];
    let e = config_error(run(
        cli(&[]),
        &[&["validator", "--config", &f][..], &status].concat(),
    ));
    assert!(e.contains("not to its subcommands"), "{e}");
    let e = config_error(run(
        cli(&[]),
        &[&["validator", "--print-config"][..], &status].concat(),
    ));
    assert!(e.contains("not to its subcommands"), "{e}");
    // FUSE_CONFIG in the environment is for the run: `status` goes on without it.
    let l = loaded(run(
        cli(&[("config", "PATH")]),
        &[&["validator"][..], &status].concat(),
    ));
    assert!(print_config(&l).is_none());
}
