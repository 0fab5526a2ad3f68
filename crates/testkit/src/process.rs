//! Child processes that die with the test process, and the workspace's binaries.
//!
//! Every child gets a parent-death signal (SIGKILL, `PR_SET_PDEATHSIG`), so a test process
//! that panics, times out or is killed with SIGKILL leaves no broker or service behind. Linux
//! sends that signal when the *thread* that forked the child ends, so every child is forked by
//! one keeper thread that lives as long as the process; a child started in one test and shared
//! by the next (a broker in a `static`) therefore lives exactly as long as the test process.

use std::io;
use std::ops::{Deref, DerefMut};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

type Job = Box<dyn FnOnce() + Send>;

fn keeper() -> &'static Mutex<Sender<Job>> {
    static KEEPER: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("testkit-spawner".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("starting the spawner thread");
        Mutex::new(tx)
    })
}

/// Starts `cmd` so that it is killed when this process ends, however it ends.
pub fn spawn(mut cmd: Command) -> io::Result<Process> {
    let parent = std::process::id();
    // SAFETY: the closure runs between fork and exec and calls only prctl and getppid, both
    // async-signal-safe system calls; it allocates nothing.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            // The parent may have died between fork and prctl: then no signal would come.
            if nix::unistd::getppid().as_raw() as u32 != parent {
                return Err(io::Error::other("the test process ended during spawn"));
            }
            Ok(())
        });
    }
    let (tx, rx) = mpsc::channel();
    keeper()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(Box::new(move || {
            let _ = tx.send(cmd.spawn());
        }))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    let child = rx
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))??;
    Ok(Process { child })
}

/// A child process that is killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
}

impl Process {
    /// Sends `signal` (SIGTERM for a graceful stop, SIGHUP for a reload, ...).
    pub fn signal(&self, signal: Signal) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), signal);
    }

    /// SIGTERM, then waits up to `grace` for the process to exit (SIGKILL after that).
    pub fn terminate(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.signal(Signal::SIGTERM);
        let ok = crate::eventually(grace, Duration::from_millis(20), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !ok {
            let _ = self.child.kill();
        }
        self.child.wait().ok()
    }

    /// Waits for the process to exit on its own, collecting whatever of standard output and
    /// error was piped (as [`Child::wait_with_output`]).
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        use std::io::Read as _;
        drop(self.child.stdin.take());
        let err = self.child.stderr.take().map(|mut e| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = e.read_to_end(&mut buf);
                buf
            })
        });
        let mut stdout = Vec::new();
        if let Some(mut o) = self.child.stdout.take() {
            o.read_to_end(&mut stdout)?;
        }
        let stderr = err
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        let status = self.child.wait()?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    /// SIGKILL and reap: a crash, as far as the process can tell.
    pub fn crash(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether process `pid` exists and is not a zombie waiting for its reaper.
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

impl Deref for Process {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.child
    }
}

impl DerefMut for Process {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.crash();
    }
}

/// The folder cargo puts this build's binaries in (`target/debug`): the test executable lives
/// in its `deps/` folder.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("the test executable's folder");
    if deps.ends_with("deps") {
        deps.parent().expect("the profile folder").to_path_buf()
    } else {
        deps.to_path_buf()
    }
}

/// The binary `bin` of the workspace package `package`, built (once per process) when this
/// build does not have it yet — as when one package's tests run alone.
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    static BUILD: Mutex<()> = Mutex::new(());
    let path = bin_dir().join(bin);
    let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if !path.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-q", "--locked", "-p", package, "--bin", bin])
            .status()
            .unwrap_or_else(|e| panic!("running cargo to build {bin}: {e}"));
        assert!(
            status.success(),
            "building {bin} (package {package}) failed"
        );
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spawned_process_is_killed_when_dropped() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let p = spawn(cmd).unwrap();
        let pid = Pid::from_raw(p.id() as i32);
        drop(p);
        assert!(!alive(pid.as_raw()), "the child is gone after drop");
    }

    #[test]
    fn terminate_stops_gracefully_and_reports_the_status() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let mut p = spawn(cmd).unwrap();
        let status = p.terminate(Duration::from_secs(5)).unwrap();
        assert!(!status.success());
    }

    /// Run by the next test in a process of its own: starts a child, says its pid, waits.
    #[test]
    #[ignore = "helper of a_child_dies_with_its_killed_test_process"]
    fn helper_starts_a_child_and_waits() {
        let mut cmd = Command::new("sleep");
        cmd.arg("60");
        let p = spawn(cmd).unwrap();
        println!("child-pid {}", p.id());
        std::thread::sleep(Duration::from_secs(60));
    }

    #[test]
    fn a_child_dies_with_its_killed_test_process() {
        use std::io::{BufRead as _, BufReader};
        let mut test = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "process::tests::helper_starts_a_child_and_waits"])
            .args(["--ignored", "--nocapture", "--test-threads", "1"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(test.stdout.take().unwrap()).lines();
        let pid: i32 = loop {
            let line = lines.next().expect("the helper's output").unwrap();
            // libtest prints the test's name on the same line first.
            if let Some((_, pid)) = line.split_once("child-pid ") {
                break pid.trim().parse().unwrap();
            }
        };
        assert!(alive(pid), "the child runs");
        test.kill().unwrap(); // SIGKILL: no destructor of the test process runs
        test.wait().unwrap();
        crate::wait_until("the orphan's death", Duration::from_secs(10), || {
            !alive(pid)
        });
    }
}
