//! Defaults per project kind: the commands behind each task and the tools a kind needs.
//!
//! A manifest overrides a task by setting it under `[tasks]`; an empty string removes it.
//! Placeholders: `{package}` is the Cargo package (manifest `package`, else `name`).

use crate::manifest::Kind;

/// The tasks `portfolio` knows how to run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TaskName {
    Lint,
    Test,
    Build,
    Run,
}

impl TaskName {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskName::Lint => "lint",
            TaskName::Test => "test",
            TaskName::Build => "build",
            TaskName::Run => "run",
        }
    }
}

impl std::fmt::Display for TaskName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The default command of `task` for `kind`, before placeholder expansion.
pub fn default_task(kind: Kind, task: TaskName) -> Option<&'static str> {
    use Kind::*;
    use TaskName::*;
    match (kind, task) {
        (RustService | RustCli | RustLibrary | RustLambda, Lint) => {
            Some("cargo clippy --locked -q -p {package} --all-targets -- -D warnings")
        }
        (RustService | RustCli | RustLibrary | RustLambda, Test) => {
            Some("cargo nextest run --locked -p {package}")
        }
        (RustService | RustCli | RustLambda, Build) => {
            Some("cargo build --locked --release -p {package}")
        }
        (RustLibrary, Build) => Some("cargo build --locked -p {package}"),
        // `portfolio up` builds the Rust services first, with one `cargo build`.
        (RustService, Run) => Some("\"$PORTFOLIO_BIN_DIR/{package}\""),
        (NpmPackage, Lint) => Some("npm run lint"),
        (NpmPackage, Test) => Some("npm test"),
        (NpmPackage, Build) => Some("npm run build"),
        (TerraformModule, Lint) => Some("terraform fmt -check -recursive"),
        // Provider plugins cannot be downloaded here, so no `terraform validate`: fmt, the
        // hcl-rs rules of crates/iac-checks, the README tables and checkov (see the script).
        (TerraformModule, Test) => Some("bash ../../../scripts/iac/check-terraform.sh"),
        // Helm's engine through tools/helm.py (PyPI helm-python-sdk): no helm binary needed.
        (HelmChart, Lint) => Some("bash check.sh lint"),
        (HelmChart, Test) => Some("bash check.sh"),
        (HelmChart, Build) => Some("bash check.sh package ../../../target/charts"),
        (ContainerImages, Lint | Test) => Some("bash check.sh"),
        _ => None,
    }
}

/// Tools (ids of `portfolio bootstrap`) every project of `kind` needs.
pub fn default_tools(kind: Kind) -> &'static [&'static str] {
    use Kind::*;
    match kind {
        RustService => &["cargo", "postgresql", "cargo-deny", "cargo-cyclonedx"],
        RustCli | RustLambda => &["cargo", "cargo-deny", "cargo-cyclonedx"],
        RustLibrary => &["cargo"],
        NpmPackage => &["node", "npm", "chromium"],
        TerraformModule => &["terraform", "python3", "cargo"],
        HelmChart | ContainerImages => &["python3", "cargo"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_services_lint_test_and_build_through_cargo_and_run_the_built_binary() {
        for task in [TaskName::Lint, TaskName::Test, TaskName::Build] {
            let cmd = default_task(Kind::RustService, task).unwrap();
            assert!(
                cmd.starts_with("cargo ") && cmd.contains("{package}"),
                "{cmd}"
            );
        }
        assert_eq!(
            default_task(Kind::RustService, TaskName::Run),
            Some("\"$PORTFOLIO_BIN_DIR/{package}\"")
        );
    }

    #[test]
    fn docs_have_no_tasks_and_libraries_do_not_run() {
        assert_eq!(default_task(Kind::Docs, TaskName::Test), None);
        assert_eq!(default_task(Kind::RustLibrary, TaskName::Run), None);
    }
}
