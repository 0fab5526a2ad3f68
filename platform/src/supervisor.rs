//! `portfolio up|down|status|logs`: a local process supervisor over the manifests' `run`
//! commands.
//!
//! Each service runs as `sh -c <run>` in its project folder, in a process group of its own, so
//! stopping a service stops everything it started. The supervisor keeps its state in
//! `.portfolio/run/state.json` (read by `status` and `down` from other shells) and each
//! service's output in `.portfolio/logs/<domain>__<name>.log`.
//!
//! Invariants: services start in dependency order and each is ready before the next starts;
//! they stop in reverse order; a crashed service is restarted with exponential backoff; after
//! `down` (or Ctrl-C) no process of any service's group is left.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::graph::Graph;
use crate::kinds::TaskName;
use crate::runner::project_env;

/// A service as the supervisor runs it.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub id: String,
    /// The Cargo package to build first, for Rust projects.
    pub package: Option<String>,
    pub dir: PathBuf,
    pub command: String,
    pub ready: Option<String>,
    pub ready_timeout: Duration,
    pub env: Vec<(String, String)>,
    pub urls: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error("{0}")]
    UnknownProject(String),
    #[error("{0} is {1}: it has nothing to run yet")]
    NotRunnable(String, String),
    #[error("the platform is already up (supervisor pid {0}); run `portfolio down` first")]
    AlreadyRunning(u32),
    #[error("{id} did not become ready: {reason}\n--- last lines of {log} ---\n{tail}")]
    StartFailed {
        id: String,
        reason: String,
        log: String,
        tail: String,
    },
    #[error("{0}")]
    Build(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The services to run for `ids` (all built projects with a run task when empty), with their
/// dependencies, in dependency order.
pub fn services(
    catalog: &Catalog,
    graph: &Graph,
    ids: &[String],
) -> Result<Vec<ServiceSpec>, UpError> {
    let root = &catalog.root;
    let mut roots = Vec::new();
    for id in ids {
        let i = catalog.resolve(id).map_err(UpError::UnknownProject)?;
        let p = &catalog.projects[i];
        if !p.lifecycle().is_built() || p.task(TaskName::Run).is_none() {
            let why = if p.lifecycle().is_built() {
                "without a run task".to_string()
            } else {
                p.lifecycle().to_string()
            };
            return Err(UpError::NotRunnable(id.clone(), why));
        }
        roots.push(i);
    }
    let wanted: Vec<bool> = if ids.is_empty() {
        vec![true; catalog.projects.len()]
    } else {
        let mut w = vec![false; catalog.projects.len()];
        for i in graph.with_dependencies(&roots) {
            w[i] = true;
        }
        w
    };
    let env_file = load_env_file(&root.join("env/local"));
    // An environment's copy (`portfolio promote`) runs on shifted ports.
    let offset: u16 = std::env::var("PORTFOLIO_PORT_OFFSET")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(graph
        .order
        .iter()
        .copied()
        .filter(|&i| wanted[i])
        .map(|i| &catalog.projects[i])
        .filter(|p| p.lifecycle().is_built())
        .filter_map(|p| {
            let run = p.task(TaskName::Run)?;
            let mut env = project_env(root, p);
            env.extend(env_file.iter().cloned());
            env.push((
                "PORTFOLIO_BIN_DIR".into(),
                bin_dir(root).display().to_string(),
            ));
            let urls = p
                .manifest
                .provides
                .http
                .iter()
                .map(|port| format!("http://127.0.0.1:{}", port.get_ref() + offset))
                .collect();
            Some(ServiceSpec {
                id: p.id().to_string(),
                package: p.kind().is_rust().then(|| p.manifest.package().to_string()),
                dir: root.join(&p.dir),
                command: run.command,
                ready: p
                    .manifest
                    .tasks
                    .ready
                    .as_ref()
                    .map(|r| shift_port(r.get_ref(), offset)),
                ready_timeout: Duration::from_secs(p.manifest.tasks.ready_timeout.unwrap_or(60)),
                env,
                urls,
            })
        })
        .collect())
}

/// Where the services' binaries are: `PORTFOLIO_BIN_DIR` when set (a build made earlier, such
/// as `make test`'s), else the debug folder of the Cargo target directory.
pub fn bin_dir(root: &Path) -> PathBuf {
    std::env::var_os("PORTFOLIO_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::ci::target_dir(root).join("debug"))
}

/// The Cargo packages of the Rust services among `specs`.
pub fn packages(specs: &[ServiceSpec]) -> Vec<&str> {
    specs.iter().filter_map(|s| s.package.as_deref()).collect()
}

/// Builds `packages`' binaries with one `cargo build` (its progress on this terminal), unless
/// `PORTFOLIO_BIN_DIR` names binaries built already. Run commands start
/// `$PORTFOLIO_BIN_DIR/<binary>`, so nothing is compiled while a service starts.
pub fn build(root: &Path, packages: &[&str]) -> Result<(), UpError> {
    if std::env::var_os("PORTFOLIO_BIN_DIR").is_some() {
        return Ok(());
    }
    if packages.is_empty() {
        return Ok(());
    }
    let mut cmd = Command::new("cargo");
    cmd.args(["build", "--locked", "--bins"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    eprintln!(
        "building {} (the first build on a machine takes several minutes)",
        packages.join(", ")
    );
    let status = cmd.current_dir(root).stdin(Stdio::null()).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(UpError::Build(format!(
            "`cargo build` of {} failed ({status}); the errors are above",
            packages.join(", ")
        )))
    }
}

/// `url` with `offset` added to its port (`http://host:8000/x` → `http://host:18000/x`).
pub fn shift_port(url: &str, offset: u16) -> String {
    if offset == 0 {
        return url.to_string();
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(p) => format!("{scheme}://{host}:{}{path}", p.saturating_add(offset)),
            Err(_) => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// `KEY=VALUE` lines of a dotenv-style file; comments and blank lines ignored.
pub fn load_env_file(path: &Path) -> Vec<(String, String)> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Starting,
    Running,
    Stopping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceStatus {
    Starting,
    Ready,
    Crashed,
    Stopped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceState {
    pub id: String,
    pub pid: Option<u32>,
    pub status: ServiceStatus,
    pub restarts: u32,
    pub ready_url: Option<String>,
    pub urls: Vec<String>,
    pub log: PathBuf,
    pub last_exit: Option<String>,
    /// Unix seconds of the last start.
    pub started_at: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub supervisor_pid: u32,
    pub phase: Phase,
    pub services: Vec<ServiceState>,
}

pub fn run_dir(root: &Path) -> PathBuf {
    root.join(".portfolio/run")
}

pub fn state_path(root: &Path) -> PathBuf {
    run_dir(root).join("state.json")
}

pub fn log_dir(root: &Path) -> PathBuf {
    root.join(".portfolio/logs")
}

pub fn service_log(root: &Path, id: &str) -> PathBuf {
    log_dir(root).join(format!("{}.log", id.replace('/', "__")))
}

pub fn read_state(root: &Path) -> Option<State> {
    serde_json::from_str(&fs::read_to_string(state_path(root)).ok()?).ok()
}

fn write_state(root: &Path, state: &State) -> std::io::Result<()> {
    let path = state_path(root);
    fs::create_dir_all(path.parent().expect("run dir"))?;
    let tmp = path.with_extension("json.tmp");
    fs::write(
        &tmp,
        serde_json::to_vec_pretty(state).expect("state serialises"),
    )?;
    fs::rename(tmp, path)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Is `pid` a live process (not a zombie)?
pub fn is_alive(pid: u32) -> bool {
    if kill(Pid::from_raw(pid as i32), None).is_err() {
        return false;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => true,
    }
}

/// Probes a readiness URL once: `http://` needs a 2xx answer, `tcp://` a connection.
pub fn probe(url: &str, timeout: Duration) -> bool {
    if let Some(addr) = url.strip_prefix("tcp://") {
        let addr = addr.trim_end_matches('/');
        return addr
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .is_some_and(|a| TcpStream::connect_timeout(&a, timeout).is_ok());
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    agent.get(url).call().is_ok_and(|r| r.status().is_success())
}

/// Emits supervisor events (start, ready, crash, stop) to the user.
pub type Reporter<'a> = &'a mut dyn FnMut(&str);

struct Supervised {
    spec: ServiceSpec,
    child: Option<Child>,
    /// Consecutive crashes, for backoff; reset after a minute of running.
    crashes: u32,
    restart_at: Option<Instant>,
    last_start: Instant,
}

fn spawn(root: &Path, spec: &ServiceSpec, attempt: u32) -> std::io::Result<Child> {
    let log = service_log(root, &spec.id);
    fs::create_dir_all(log.parent().expect("log dir"))?;
    let mut file = OpenOptions::new().create(true).append(true).open(&log)?;
    writeln!(
        file,
        "--- portfolio: starting {} (attempt {}) at {} ---",
        spec.id,
        attempt + 1,
        now()
    )?;
    fs::create_dir_all(root.join(".portfolio/data"))?;
    Command::new("sh")
        .arg("-c")
        .arg(&spec.command)
        .current_dir(&spec.dir)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .process_group(0)
        .spawn()
}

/// Stops a process group: SIGTERM, up to `grace` to exit, then SIGKILL for what is left.
fn stop_group(child: &mut Child, grace: Duration) {
    let pgid = Pid::from_raw(child.id() as i32);
    let _ = killpg(pgid, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Whatever else the service started in its group goes too.
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = child.wait();
    reap_group(pgid);
}

/// Reaps the killed members of a group that were re-parented to the supervisor (it is their
/// subreaper), so none is left as a zombie. The group leader must already be waited for.
fn reap_group(pgid: Pid) {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    let deadline = Instant::now() + Duration::from_secs(2);
    let group = Pid::from_raw(-pgid.as_raw());
    while Instant::now() < deadline {
        match waitpid(group, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(10)),
            Ok(_) => {}
            Err(_) => return, // ECHILD: no member of the group is our child any more
        }
    }
}

fn backoff(crashes: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << crashes.min(6))).min(Duration::from_secs(30))
}

/// Runs `specs` until `stop` is set: starts each in order and waits for readiness, then
/// watches and restarts. Stops everything before returning.
pub fn supervise(
    root: &Path,
    specs: Vec<ServiceSpec>,
    stop: Arc<AtomicBool>,
    report: Reporter<'_>,
) -> Result<(), UpError> {
    if let Some(state) = read_state(root) {
        if is_alive(state.supervisor_pid) && state.supervisor_pid != std::process::id() {
            return Err(UpError::AlreadyRunning(state.supervisor_pid));
        }
        report("cleaning up after a supervisor that did not stop cleanly");
        kill_stale(&state);
    }
    // Orphans of a service's group are re-parented to us, so we can reap them.
    let _ = nix::sys::prctl::set_child_subreaper(true);
    let mut state = State {
        supervisor_pid: std::process::id(),
        phase: Phase::Starting,
        services: specs
            .iter()
            .map(|s| ServiceState {
                id: s.id.clone(),
                pid: None,
                status: ServiceStatus::Stopped,
                restarts: 0,
                ready_url: s.ready.clone(),
                urls: s.urls.clone(),
                log: crate::diag::relative(root, &service_log(root, &s.id)),
                last_exit: None,
                started_at: 0,
            })
            .collect(),
    };
    write_state(root, &state)?;
    let mut services: Vec<Supervised> = specs
        .into_iter()
        .map(|spec| Supervised {
            spec,
            child: None,
            crashes: 0,
            restart_at: None,
            last_start: Instant::now(),
        })
        .collect();

    let result = start_all(root, &mut services, &mut state, &stop, report).and_then(|()| {
        state.phase = Phase::Running;
        write_state(root, &state)?;
        report(&format!(
            "all {} service(s) ready; Ctrl-C or `portfolio down` stops them",
            services.len()
        ));
        watch(root, &mut services, &mut state, &stop, report)
    });

    state.phase = Phase::Stopping;
    let _ = write_state(root, &state);
    for (k, s) in services.iter_mut().enumerate().rev() {
        if let Some(mut child) = s.child.take() {
            report(&format!("stopping {}", s.spec.id));
            stop_group(&mut child, Duration::from_secs(10));
            state.services[k].status = ServiceStatus::Stopped;
            state.services[k].pid = None;
        }
    }
    let _ = fs::remove_file(state_path(root));
    result
}

fn start_all(
    root: &Path,
    services: &mut [Supervised],
    state: &mut State,
    stop: &AtomicBool,
    report: Reporter<'_>,
) -> Result<(), UpError> {
    for (k, s) in services.iter_mut().enumerate() {
        report(&format!("starting {}", s.spec.id));
        let started = Instant::now();
        let mut child = spawn(root, &s.spec, 0)?;
        state.services[k].pid = Some(child.id());
        state.services[k].status = ServiceStatus::Starting;
        state.services[k].started_at = now();
        write_state(root, state)?;
        let fail = |reason: String| UpError::StartFailed {
            id: s.spec.id.clone(),
            reason,
            log: service_log(root, &s.spec.id).display().to_string(),
            tail: crate::runner::tail(&service_log(root, &s.spec.id), 20),
        };
        loop {
            if stop.load(Ordering::SeqCst) {
                s.child = Some(child);
                return Ok(());
            }
            if let Some(status) = child.try_wait()? {
                let pgid = Pid::from_raw(child.id() as i32);
                let _ = killpg(pgid, Signal::SIGKILL);
                reap_group(pgid);
                return Err(fail(format!("it exited ({status}) before it was ready")));
            }
            let ready = match &s.spec.ready {
                Some(url) => probe(url, Duration::from_millis(500)),
                None => started.elapsed() > Duration::from_millis(500),
            };
            if ready {
                break;
            }
            if started.elapsed() > s.spec.ready_timeout {
                s.child = Some(child);
                return Err(fail(format!(
                    "not ready after {}s",
                    s.spec.ready_timeout.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        s.child = Some(child);
        s.last_start = started;
        state.services[k].status = ServiceStatus::Ready;
        write_state(root, state)?;
        let url = s
            .spec
            .urls
            .first()
            .or(s.spec.ready.as_ref())
            .cloned()
            .unwrap_or_default();
        report(&format!(
            "ready    {} in {:.1}s {url}",
            s.spec.id,
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

fn watch(
    root: &Path,
    services: &mut [Supervised],
    state: &mut State,
    stop: &AtomicBool,
    report: Reporter<'_>,
) -> Result<(), UpError> {
    let mut last_probe = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        let probe_now = last_probe.elapsed() > Duration::from_millis(250);
        if probe_now {
            last_probe = Instant::now();
        }
        let mut dirty = false;
        for (k, s) in services.iter_mut().enumerate() {
            let st = &mut state.services[k];
            if let Some(child) = s.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    // Take down anything the service left behind in its group.
                    let pgid = Pid::from_raw(child.id() as i32);
                    let _ = killpg(pgid, Signal::SIGKILL);
                    reap_group(pgid);
                    s.child = None;
                    if s.last_start.elapsed() > Duration::from_secs(60) {
                        s.crashes = 0;
                    }
                    let delay = backoff(s.crashes);
                    s.crashes += 1;
                    s.restart_at = Some(Instant::now() + delay);
                    st.status = ServiceStatus::Crashed;
                    st.pid = None;
                    st.last_exit = Some(status.to_string());
                    dirty = true;
                    report(&format!(
                        "crashed  {} ({status}); restarting in {:.1}s",
                        s.spec.id,
                        delay.as_secs_f64()
                    ));
                    continue;
                }
                if st.status == ServiceStatus::Starting && probe_now {
                    let ready = s
                        .spec
                        .ready
                        .as_ref()
                        .is_none_or(|u| probe(u, Duration::from_millis(500)));
                    if ready {
                        st.status = ServiceStatus::Ready;
                        dirty = true;
                        report(&format!(
                            "ready    {} again after restart {}",
                            s.spec.id, st.restarts
                        ));
                    }
                }
            } else if s.restart_at.is_some_and(|t| Instant::now() >= t) {
                s.restart_at = None;
                st.restarts += 1;
                let child = spawn(root, &s.spec, st.restarts)?;
                st.pid = Some(child.id());
                st.status = ServiceStatus::Starting;
                st.started_at = now();
                s.child = Some(child);
                s.last_start = Instant::now();
                dirty = true;
                report(&format!("restart  {} (restart {})", s.spec.id, st.restarts));
            }
        }
        if dirty {
            write_state(root, state)?;
        }
    }
    Ok(())
}

/// Kills the process groups a dead supervisor left behind.
fn kill_stale(state: &State) {
    for s in &state.services {
        if let Some(pid) = s.pid {
            let pgid = Pid::from_raw(pid as i32);
            let _ = killpg(pgid, Signal::SIGTERM);
            std::thread::sleep(Duration::from_millis(200));
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DownReport {
    pub was_running: bool,
    pub stopped: Vec<String>,
}

/// Stops a running supervisor (from any shell) and waits until it has stopped everything.
pub fn down(root: &Path, timeout: Duration) -> std::io::Result<DownReport> {
    let Some(state) = read_state(root) else {
        return Ok(DownReport {
            was_running: false,
            stopped: Vec::new(),
        });
    };
    let stopped = state.services.iter().map(|s| s.id.clone()).collect();
    let pid = state.supervisor_pid;
    if is_alive(pid) {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        let deadline = Instant::now() + timeout;
        while is_alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if is_alive(pid) {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }
    // A supervisor that died (or was killed above) leaves its services and state behind.
    if let Some(state) = read_state(root) {
        kill_stale(&state);
        let _ = fs::remove_file(state_path(root));
    }
    Ok(DownReport {
        was_running: true,
        stopped,
    })
}

#[derive(Debug, Serialize)]
pub struct ServiceHealth {
    pub id: String,
    pub status: ServiceStatus,
    pub healthy: bool,
    pub pid: Option<u32>,
    pub restarts: u32,
    pub uptime_s: u64,
    pub url: Option<String>,
    pub log: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub running: bool,
    pub supervisor_pid: Option<u32>,
    pub phase: Option<Phase>,
    pub services: Vec<ServiceHealth>,
}

/// The live state: what the supervisor recorded plus a fresh readiness probe per service.
pub fn status(root: &Path) -> StatusReport {
    let Some(state) = read_state(root).filter(|s| is_alive(s.supervisor_pid)) else {
        return StatusReport {
            running: false,
            supervisor_pid: None,
            phase: None,
            services: Vec::new(),
        };
    };
    let services = state
        .services
        .iter()
        .map(|s| {
            let alive = s.pid.is_some_and(is_alive);
            let healthy = alive
                && s.ready_url
                    .as_ref()
                    .is_none_or(|u| probe(u, Duration::from_millis(500)));
            ServiceHealth {
                id: s.id.clone(),
                status: s.status,
                healthy,
                pid: s.pid,
                restarts: s.restarts,
                uptime_s: if alive {
                    now().saturating_sub(s.started_at)
                } else {
                    0
                },
                url: s.urls.first().or(s.ready_url.as_ref()).cloned(),
                log: s.log.clone(),
            }
        })
        .collect();
    StatusReport {
        running: true,
        supervisor_pid: Some(state.supervisor_pid),
        phase: Some(state.phase),
        services,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(20), Duration::from_secs(30));
    }

    #[test]
    fn env_files_skip_comments_blanks_and_empty_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local");
        fs::write(
            &path,
            "# c\nA=1\n\nB = \"two\"  # note\nSECRET=  # secret\n",
        )
        .unwrap();
        assert_eq!(
            load_env_file(&path),
            vec![("A".into(), "1".into()), ("B".into(), "two".into())]
        );
    }

    #[test]
    fn probes_fail_fast_on_closed_ports() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(!probe(
            &format!("tcp://127.0.0.1:{port}"),
            Duration::from_millis(200)
        ));
        assert!(!probe(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_millis(200)
        ));
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(probe(
            &format!("tcp://{}", open.local_addr().unwrap()),
            Duration::from_millis(200)
        ));
    }
}
