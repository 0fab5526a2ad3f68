//! The few git operations the platform needs, through the `git` binary (the one every
//! developer and CI runner already has, with their configuration and credentials).

use std::path::Path;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "`{0}` is not a revision of this repository (try a branch, tag or commit, e.g. HEAD~1)"
    )]
    UnknownRevision(String),
    #[error("git {args} failed in {dir}: {message}")]
    Failed {
        args: String,
        dir: String,
        message: String,
    },
}

/// Runs `git ARGS` in `dir`; its standard output, or the error with git's own message.
pub fn run(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| GitError::Failed {
            args: args.join(" "),
            dir: dir.display().to_string(),
            message: format!("cannot run git: {e}"),
        })?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            dir: dir.display().to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The full commit id `rev` names.
pub fn commit_of(dir: &Path, rev: &str) -> Result<String, GitError> {
    run(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map(|s| s.trim().to_string())
    .map_err(|_| GitError::UnknownRevision(rev.to_string()))
}

/// `Some(commit)` when the branch exists.
pub fn branch_commit(dir: &Path, branch: &str) -> Option<String> {
    commit_of(dir, &format!("refs/heads/{branch}")).ok()
}

/// Whether `ancestor` is reachable from `descendant` (equal counts).
pub fn is_ancestor(dir: &Path, ancestor: &str, descendant: &str) -> bool {
    Command::new("git")
        .args(["merge-base", "--is-ancestor", ancestor, descendant])
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// Tracked files with changes, or untracked files that are not ignored. Audit evidence
/// (`audits/<year>/`, written by the platform's own actions) does not count.
pub fn is_dirty(dir: &Path) -> bool {
    run(
        dir,
        &[
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            ".",
            ":(exclude)audits/2*",
        ],
    )
    .map(|s| !s.trim().is_empty())
    .unwrap_or(true)
}

/// The acting identity: `PORTFOLIO_ACTOR`, else git's `user.email`.
pub fn identity(dir: &Path) -> Option<String> {
    std::env::var("PORTFOLIO_ACTOR")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            run(dir, &["config", "user.email"])
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
}

/// Author e-mail of a commit.
pub fn author_email(dir: &Path, commit: &str) -> Result<String, GitError> {
    run(dir, &["show", "-s", "--format=%ae", commit]).map(|s| s.trim().to_string())
}

/// The current branch, `None` on a detached HEAD.
pub fn current_branch(dir: &Path) -> Option<String> {
    run(dir, &["symbolic-ref", "--quiet", "--short", "HEAD"])
        .ok()
        .map(|s| s.trim().to_string())
}

/// Tags pointing at `commit`.
pub fn tags_at(dir: &Path, commit: &str) -> Vec<String> {
    run(dir, &["tag", "--points-at", commit])
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}
