//! The config file of `fuse-l2 node` and `fuse-l2 validator`: a TOML file whose keys are the
//! command's long flag names, read with `--config FILE` (`FUSE_CONFIG`), and
//! `--print-config`, which prints the configuration a run would use (docs/guides/operator.md,
//! "The config file").
//!
//! A value comes from the command line, else the environment, else the file, else the built-in
//! default. clap already puts the first two above an argument's default, so the file's values
//! become the arguments' defaults and the command line is parsed again: every value is then
//! clap's, checked by the argument's own parser, and `ArgMatches::value_source` says where it
//! came from (a default the file set is the file's).

use std::any::TypeId;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

#[cfg(test)]
mod tests;

/// The commands that read a config file.
const COMMANDS: [&str; 2] = ["node", "validator"];
/// The id of `--config`.
const CONFIG: &str = "config";
/// The id of `--print-config`.
const PRINT: &str = "print_config";
/// Keys a file may not set, nor `--print-config` show: a private key in plain text in a file
/// is copied, backed up and read by whoever reads the configuration.
const SECRETS: [&str; 1] = ["key"];

/// `cli` with `--config` and `--print-config` on each command of [`COMMANDS`].
pub(crate) fn command(cli: Command) -> Command {
    COMMANDS.iter().fold(cli, |cli, name| {
        cli.mut_subcommand(name, |c| {
            c.arg(
                Arg::new(CONFIG)
                    .long("config")
                    .env("FUSE_CONFIG")
                    .value_name("FILE")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help(
                        "A TOML file of these options, keyed by their long names \
                         (`l1-rpc = \"https://…\"`, `confirmations = 64`); the command line and \
                         the environment override it. Never `key`: give `keystore` and \
                         `password-file`, or the key in the environment",
                    ),
            )
            .arg(
                Arg::new(PRINT)
                    .long("print-config")
                    .action(ArgAction::SetTrue)
                    .help(
                        "Print the configuration this would run with, as a --config file \
                         (each value with where it came from), and exit without connecting",
                    ),
            )
        })
    })
}

/// The command line as parsed, with the config file's values in it.
pub(crate) struct Loaded {
    /// The command as the parse used it (a config file's values are its defaults).
    pub(crate) cmd: Command,
    /// What the parse found.
    pub(crate) matches: ArgMatches,
    /// The config file read, if any.
    file: Option<File>,
}

/// A config file as read.
struct File {
    path: PathBuf,
    /// The long names it set.
    keys: BTreeSet<String>,
}

/// Why the command line could not be taken.
#[derive(Debug)]
pub(crate) enum Failure {
    /// clap's own: a usage error, or `--help` and `--version` (it prints them and exits).
    Usage(clap::Error),
    /// The config file is missing, unreadable or wrong, or asked for where it does not apply.
    Config(anyhow::Error),
}

/// Parses `argv` against `cmd` (built by [`command`]), with the config file of the command it
/// names, if it has one.
pub(crate) fn load(cmd: Command, argv: Vec<OsString>) -> Result<Loaded, Failure> {
    let Some((name, path)) = config_path(&cmd, &argv)? else {
        return parse(cmd, argv);
    };
    // Built, the command holds the global options (`--log-format`) too: keys of its file.
    let mut built = cmd.clone();
    built.build();
    let sub = built
        .find_subcommand(name)
        .expect("config_path names a command of COMMANDS");
    let values = read(&path, sub).map_err(Failure::Config)?;
    let keys = values.iter().map(|(long, _, _)| long.clone()).collect();
    let global = |id: &clap::Id| {
        cmd.get_arguments()
            .any(|a| a.get_id() == id && a.is_global_set())
    };
    let (globals, own): (Vec<_>, Vec<_>) = values.into_iter().partition(|(_, id, _)| global(id));
    let cmd = cmd.mut_subcommand(name, |sub| {
        own.into_iter().fold(sub, |sub, (_, id, vals)| {
            // A required argument the file gives is no longer missing; one it does not give
            // stays required, with clap's own message.
            sub.mut_arg(id, |a| a.default_values(vals).required(false))
        })
    });
    // A global option is the top command's, and reaches the subcommand from there.
    let cmd = globals.into_iter().fold(cmd, |cmd, (_, id, vals)| {
        cmd.mut_arg(id, |a| a.default_values(vals))
    });
    let mut loaded = parse(cmd, argv)?;
    loaded.file = Some(File { path, keys });
    conflicts(&loaded).map_err(Failure::Config)?;
    Ok(loaded)
}

fn parse(mut cmd: Command, argv: Vec<OsString>) -> Result<Loaded, Failure> {
    let matches = cmd.try_get_matches_from_mut(argv).map_err(Failure::Usage)?;
    Ok(Loaded {
        cmd,
        matches,
        file: None,
    })
}

/// The command of [`COMMANDS`] that runs and its config file, if it has one: from a first parse
/// with every argument optional, since a required one may be in the file.
fn config_path(
    cmd: &Command,
    argv: &[OsString],
) -> Result<Option<(&'static str, PathBuf)>, Failure> {
    let relaxed = COMMANDS
        .iter()
        .fold(cmd.clone(), |cmd, name| cmd.mut_subcommand(name, optional));
    // What fails here fails the real parse too, which reports it in clap's words.
    let Ok(m) = relaxed.try_get_matches_from(argv) else {
        return Ok(None);
    };
    let Some((name, sub)) = m.subcommand() else {
        return Ok(None);
    };
    let Some(name) = COMMANDS.into_iter().find(|c| *c == name) else {
        return Ok(None);
    };
    if sub.subcommand().is_some() {
        // `validator status` and `withdraw` have options of their own; FUSE_CONFIG, meant for
        // the run, is not an error there.
        if sub.value_source(CONFIG) == Some(ValueSource::CommandLine) || sub.get_flag(PRINT) {
            return Err(Failure::Config(anyhow!(
                "--config and --print-config apply to running `fuse-l2 {name}`, not to its \
                 subcommands"
            )));
        }
        return Ok(None);
    }
    Ok(sub.get_one::<PathBuf>(CONFIG).map(|p| (name, p.clone())))
}

/// `cmd` with none of its arguments required.
fn optional(cmd: Command) -> Command {
    let required: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.is_required_set())
        .map(|a| a.get_id().clone())
        .collect();
    required
        .into_iter()
        .fold(cmd, |cmd, id| cmd.mut_arg(id, |a| a.required(false)))
}

/// What a key's value is in TOML.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Flag,
    Integer,
    Text,
}

/// An option a file may set (or, for [`SECRETS`], may not) and `--print-config` shows.
struct Key<'a> {
    arg: &'a Arg,
    long: &'a str,
    kind: Kind,
    /// Repeatable (`--next-guest`): an array in the file.
    many: bool,
}

impl Key<'_> {
    fn id(&self) -> &str {
        self.arg.get_id().as_str()
    }

    fn secret(&self) -> bool {
        SECRETS.contains(&self.long)
    }

    fn expects(&self) -> &'static str {
        match (self.many, self.kind) {
            (true, Kind::Integer) => "an array of integers",
            (true, _) => "an array of strings",
            (false, Kind::Flag) => "true or false",
            (false, Kind::Integer) => "an integer",
            (false, Kind::Text) => "a string",
        }
    }
}

/// The options of `cmd` in the order of its `--help`, without `--config`, `--print-config`,
/// `--help` and `--version`.
fn keys(cmd: &Command) -> Vec<Key<'_>> {
    let mut args: Vec<&Arg> = cmd.get_arguments().collect();
    // Setting an argument's default moves it last in the list; its place in `--help` stays.
    // The global options (a built command has them) come after the command's own.
    args.sort_by_key(|a| (a.is_global_set(), a.get_display_order()));
    args.into_iter()
        .filter(|a| ![CONFIG, PRINT].contains(&a.get_id().as_str()))
        .filter_map(|arg| {
            let long = arg.get_long()?;
            let (kind, many) = match arg.get_action() {
                ArgAction::SetTrue | ArgAction::SetFalse => (Kind::Flag, false),
                ArgAction::Set => (value_kind(arg), false),
                ArgAction::Append => (value_kind(arg), true),
                _ => return None,
            };
            Some(Key {
                arg,
                long,
                kind,
                many,
            })
        })
        .collect()
}

/// The types of the integer options: a TOML integer for them, a string for any other value.
fn integer_types() -> [(TypeId, bool); 8] {
    // (type, signed)
    [
        (TypeId::of::<u64>(), false),
        (TypeId::of::<u32>(), false),
        (TypeId::of::<u16>(), false),
        (TypeId::of::<u8>(), false),
        (TypeId::of::<usize>(), false),
        (TypeId::of::<i64>(), true),
        (TypeId::of::<i32>(), true),
        (TypeId::of::<i16>(), true),
    ]
}

fn value_kind(arg: &Arg) -> Kind {
    let t = arg.get_value_parser().type_id();
    if integer_types().iter().any(|(i, _)| t == *i) {
        Kind::Integer
    } else {
        Kind::Text
    }
}

fn unsigned(arg: &Arg) -> bool {
    let t = arg.get_value_parser().type_id();
    integer_types().iter().any(|(i, signed)| t == *i && !signed)
}

/// The values of the config file at `path` for command `cmd`: (long name, argument id, the
/// values as the command line would give them), each checked by its argument's parser.
fn read(path: &Path, cmd: &Command) -> anyhow::Result<Vec<(String, clap::Id, Vec<String>)>> {
    let file = path.display();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {file}"))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("the config file {file} is not valid TOML"))?;
    let keys = keys(cmd);
    let name = cmd.get_name();
    if let Some(k) = keys
        .iter()
        .find(|k| k.secret() && table.contains_key(k.long))
    {
        let env = k
            .arg
            .get_env()
            .map(|e| format!(" or the environment variable {}", e.to_string_lossy()))
            .unwrap_or_default();
        bail!(
            "the config file {file} sets `{}`: a private key is not read from a file. Give an \
             encrypted keystore (`keystore` and `password-file`, in the file or as flags){env}",
            k.long
        );
    }
    let unknown: Vec<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|t| !keys.iter().any(|k| k.long == *t))
        .collect();
    if !unknown.is_empty() {
        let valid: Vec<&str> = keys
            .iter()
            .filter(|k| !k.secret())
            .map(|k| k.long)
            .collect();
        let hint = unknown
            .iter()
            .map(|u| u.replace('_', "-"))
            .find(|u| valid.contains(&u.as_str()))
            .map(|u| format!(" (did you mean `{u}`?)"))
            .unwrap_or_default();
        bail!(
            "the config file {file} has unknown key(s) {}{hint}; the keys of `fuse-l2 {name}` \
             are: {}",
            unknown
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", "),
            valid.join(", ")
        );
    }
    let mut out = Vec::new();
    for (long, value) in &table {
        let key = keys
            .iter()
            .find(|k| k.long == long)
            .expect("unknown keys were refused");
        let vals =
            strings(key, value).map_err(|why| anyhow!("the config file {file}: `{long}` {why}"))?;
        for v in &vals {
            check(key.arg, v).map_err(|why| {
                anyhow!("the config file {file}: `{long}` = {value} is not valid: {why}")
            })?;
        }
        out.push((long.clone(), key.arg.get_id().clone(), vals));
    }
    Ok(out)
}

/// `value` as the command line would give it: one string per value.
fn strings(key: &Key<'_>, value: &toml::Value) -> Result<Vec<String>, String> {
    // The value itself is not repeated: it may be a provider URL with its API key.
    let wrong = |v: &toml::Value| format!("must be {}, not {}", key.expects(), a(v.type_str()));
    let one = |v: &toml::Value| match (key.kind, v) {
        (Kind::Flag, toml::Value::Boolean(b)) => Ok(b.to_string()),
        (Kind::Integer, toml::Value::Integer(i)) if *i < 0 && unsigned(key.arg) => {
            Err("must not be negative".to_string())
        }
        (Kind::Integer, toml::Value::Integer(i)) => Ok(i.to_string()),
        (Kind::Text, toml::Value::String(s)) => Ok(s.clone()),
        _ if key.many => Err(format!("{}, among its items", wrong(v))),
        _ => Err(wrong(v)),
    };
    match (key.many, value) {
        (true, toml::Value::Array(items)) => items.iter().map(one).collect(),
        (true, _) => Err(wrong(value)),
        (false, v) => one(v).map(|s| vec![s]),
    }
}

/// A TOML type's name with its article.
fn a(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {type_name}")
}

/// Whether `arg`'s own parser takes `value` (a socket address, a path…), and why not.
fn check(arg: &Arg, value: &str) -> Result<(), String> {
    let probe = Command::new("probe")
        .no_binary_name(true)
        .disable_help_flag(true)
        .arg(Arg::new("value").value_parser(arg.get_value_parser().clone()));
    // After `--` the value is taken as it is, leading dashes included.
    match probe.try_get_matches_from(["--", value]) {
        Ok(_) => Ok(()),
        Err(e) => {
            Err(std::error::Error::source(&e)
                .map_or_else(|| e.kind().to_string(), ToString::to_string))
        }
    }
}

/// Refuses two conflicting options of which the file gave one: clap checks conflicts only
/// between values given on the command line or in the environment, never defaults.
fn conflicts(l: &Loaded) -> anyhow::Result<()> {
    let (Some(file), Some((name, m))) = (&l.file, l.matches.subcommand()) else {
        return Ok(());
    };
    let sub = l
        .cmd
        .find_subcommand(name)
        .expect("the parsed command is defined");
    let keys = keys(sub);
    let from_file = |k: &Key<'_>| {
        file.keys.contains(k.long) && m.value_source(k.id()) == Some(ValueSource::DefaultValue)
    };
    let present = |k: &Key<'_>| {
        let given = match m.value_source(k.id()) {
            Some(ValueSource::DefaultValue) => from_file(k),
            Some(_) => true,
            None => false,
        };
        // A flag set to false by the file is as good as absent.
        given && (k.kind != Kind::Flag || m.get_flag(k.id()))
    };
    for a in keys.iter().filter(|k| present(k)) {
        for other in sub.get_arg_conflicts_with(a.arg) {
            let Some(b) = keys.iter().find(|k| k.id() == other.get_id().as_str()) else {
                continue;
            };
            if present(b) && (from_file(a) || from_file(b)) {
                bail!(
                    "--{} ({}) cannot be used with --{} ({})",
                    a.long,
                    source(a, m, from_file(a)),
                    b.long,
                    source(b, m, from_file(b)),
                );
            }
        }
    }
    Ok(())
}

/// Where `key`'s value came from, as `--print-config` says it.
fn source(key: &Key<'_>, m: &ArgMatches, from_file: bool) -> String {
    match m.value_source(key.id()) {
        Some(ValueSource::CommandLine) => "command line".into(),
        Some(ValueSource::EnvVariable) => format!(
            "env {}",
            key.arg
                .get_env()
                .map(|e| e.to_string_lossy())
                .unwrap_or_default()
        ),
        _ if from_file => "file".into(),
        _ => "default".into(),
    }
}

/// What `--print-config` prints, when it was given to a command of [`COMMANDS`].
pub(crate) fn print_config(l: &Loaded) -> Option<String> {
    let (name, m) = l.matches.subcommand()?;
    if !COMMANDS.contains(&name) || m.subcommand().is_some() || !m.get_flag(PRINT) {
        return None;
    }
    let sub = l.cmd.find_subcommand(name)?;
    let mut out = format!(
        "# `fuse-l2 {name}`: the configuration it would run with, as a --config file. After each\n\
         # value, where it came from (command line, then env, then file, then default). URLs are\n\
         # shown without their path, query and credentials; a private key is never shown.\n"
    );
    if let Some(file) = &l.file {
        let via = config_key(sub)
            .map(|k| source(&k, m, false))
            .unwrap_or_default();
        out.push_str(&format!("# config file: {} ({via})\n", file.path.display()));
    }
    for key in keys(sub) {
        let from_file = l.file.as_ref().is_some_and(|f| f.keys.contains(key.long));
        let src = source(&key, m, from_file);
        let raw: Option<Vec<String>> = m
            .get_raw(key.id())
            .map(|r| r.map(|v| v.to_string_lossy().into_owned()).collect());
        let line = match (raw, key.secret()) {
            (Some(_), true) => format!("# {} (set, never printed)  # {src}", key.long),
            (None, true) => format!("# {} (not set)  # {src}", key.long),
            (Some(vals), false) => format!("{} = {}  # {src}", key.long, render(&key, &vals)),
            (None, false) if key.many => format!("{} = []  # {src}", key.long),
            (None, false) => format!("# {} (not set)  # {src}", key.long),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Some(out)
}

/// `--config` as a [`Key`], to say where the config file's name came from.
fn config_key(sub: &Command) -> Option<Key<'_>> {
    let arg = sub.get_arguments().find(|a| a.get_id() == CONFIG)?;
    Some(Key {
        arg,
        long: "config",
        kind: Kind::Text,
        many: false,
    })
}

/// `vals` of `key` as a TOML value, URLs redacted.
fn render(key: &Key<'_>, vals: &[String]) -> toml::Value {
    let one = |v: &String| match key.kind {
        Kind::Flag => toml::Value::Boolean(v == "true"),
        Kind::Integer => v
            .parse::<i64>()
            .map_or_else(|_| toml::Value::String(v.clone()), toml::Value::Integer),
        // Provider URLs carry API keys in their path or query.
        Kind::Text if v.contains("://") => toml::Value::String(fuse_l1::redact_url(v)),
        Kind::Text => toml::Value::String(v.clone()),
    };
    if key.many {
        toml::Value::Array(vals.iter().map(one).collect())
    } else {
        vals.first().map_or(toml::Value::String(String::new()), one)
    }
}
