//! Headless Chromium for tests of the viewer page: open a file, let its scripts run, and read
//! back the DOM they drew ([`Chromium::dump_dom`]) or a picture of it
//! ([`Chromium::screenshot`]).
//!
//! Every run gets a fresh profile directory and flags that keep the browser off the network
//! (on a machine without one, Chromium otherwise waits on its background connections), and a
//! run that takes longer than [`TIMEOUT`] is killed and reported as an error, so that a hung
//! browser fails a test instead of hanging it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long one browser run may take before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Virtual time a page gets for its scripts before the DOM is read or the picture taken, in
/// milliseconds (virtual: an idle page does not wait it out).
pub const VIRTUAL_TIME_BUDGET_MS: u32 = 5_000;

/// The flags of every run, before the profile directory and the run's own.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-breakpad",
];

/// Where the fallbacks are looked up on `PATH`, in order, after `/usr/bin/chromium`.
const NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// A Chromium (or Chrome) executable.
#[derive(Clone, Debug)]
pub struct Chromium {
    path: PathBuf,
}

impl Chromium {
    /// `/usr/bin/chromium` if it exists, else the first of `chromium`, `chromium-browser` and
    /// `google-chrome` found on `PATH`.
    pub fn find() -> Option<Chromium> {
        let debian = Path::new("/usr/bin/chromium");
        if debian.is_file() {
            return Some(Chromium {
                path: debian.to_path_buf(),
            });
        }
        let dirs = std::env::var_os("PATH")?;
        NAMES.iter().find_map(|name| {
            std::env::split_paths(&dirs)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
                .map(|path| Chromium { path })
        })
    }

    /// The executable.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The DOM of the page in `file` after its scripts ran, serialized as HTML.
    pub fn dump_dom(&self, file: &Path) -> anyhow::Result<String> {
        let out = self.run(&["--dump-dom".to_string(), file_url(file)?])?;
        if out.trim().is_empty() {
            bail!("headless Chromium dumped no DOM for {}", file.display());
        }
        Ok(out)
    }

    /// A PNG of the page in `file` as a `width` × `height` window shows it, written to `png`
    /// (its directory must exist).
    pub fn screenshot(
        &self,
        file: &Path,
        png: &Path,
        width: u32,
        height: u32,
    ) -> anyhow::Result<()> {
        let png = absolute(png)?;
        // Chromium writes the file itself: an old picture must not pass for a new one.
        if png.exists() {
            fs::remove_file(&png).with_context(|| format!("removing {}", png.display()))?;
        }
        self.run(&[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_string(),
            file_url(file)?,
        ])?;
        if !png.is_file() {
            bail!("headless Chromium wrote no screenshot to {}", png.display());
        }
        Ok(())
    }

    /// Runs the browser with `args` after the common flags; its standard output.
    fn run(&self, args: &[String]) -> anyhow::Result<String> {
        let dir = RunDir::new()?;
        let profile = dir.path.join("profile");
        fs::create_dir(&profile).with_context(|| format!("creating {}", profile.display()))?;
        let (out_path, err_path) = (dir.path.join("stdout"), dir.path.join("stderr"));
        // Output goes to files rather than pipes: a helper process the browser leaves behind
        // may hold a pipe open, and reading it would then never end.
        let stdout = fs::File::create(&out_path)?;
        let stderr = fs::File::create(&err_path)?;
        let mut cmd = Command::new(&self.path);
        cmd.args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        // Its own process group, so that the browser and every process it started can be
        // ended together.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.path.display()))?;
        let deadline = Instant::now() + TIMEOUT;
        let status: ExitStatus = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                kill_group(child.id());
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "headless Chromium did not finish within {} s and was killed: {} {}",
                    TIMEOUT.as_secs(),
                    self.path.display(),
                    args.join(" ")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // Helpers it left behind (crash handler, zygote) are ours to end.
        kill_group(child.id());
        let out = fs::read(&out_path)?;
        if !status.success() {
            let err = String::from_utf8_lossy(&fs::read(&err_path)?).into_owned();
            let tail: Vec<&str> = err.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "headless Chromium failed ({status}): {} {}\n{}",
                self.path.display(),
                args.join(" "),
                tail.join("\n")
            );
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Ends the process group `pgid` (a browser run's), ignoring a group already gone.
fn kill_group(pgid: u32) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = pgid;
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    })
}

/// The `file://` URL of `file`, which must exist.
pub fn file_url(file: &Path) -> anyhow::Result<String> {
    let full = file
        .canonicalize()
        .with_context(|| format!("opening {}", file.display()))?;
    let text = full
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", full.display()))?;
    let mut url = String::from("file://");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(url)
}

/// A fresh directory for one run (the browser's profile and its output), removed afterwards.
struct RunDir {
    path: PathBuf,
}

impl RunDir {
    fn new() -> anyhow::Result<RunDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("fuse-inspect-chromium-{}-{n}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(RunDir { path }),
                // Left by an earlier process with the same id: take the next name.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::file_url;

    #[test]
    fn file_urls_escape_what_a_url_cannot_hold() {
        let dir = std::env::temp_dir().join(format!("fuse inspect#{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a page.html");
        std::fs::write(&file, "").unwrap();
        let url = file_url(&file).unwrap();
        assert!(url.starts_with("file:///"), "{url}");
        assert!(url.contains("fuse%20inspect%23"), "{url}");
        assert!(url.ends_with("/a%20page.html"), "{url}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
