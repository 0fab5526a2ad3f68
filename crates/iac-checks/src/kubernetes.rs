//! Rendered Kubernetes manifests (multi-document YAML) against the restricted Pod Security
//! Standard and the platform's rules: images by digest, resources, probes, no host namespaces.

use std::path::Path;

use serde_yaml_ng::Value;

use crate::{Finding, read};

/// One document of a multi-document file, with its first line.
pub fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut start = 1;
    let mut cur = String::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" {
            if !cur.trim().is_empty() {
                docs.push((start, std::mem::take(&mut cur)));
            }
            cur.clear();
            start = i + 2;
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    if !cur.trim().is_empty() {
        docs.push((start, cur));
    }
    docs
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn str_of<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(|v| v.as_str())
}

fn bool_of(v: &Value, path: &[&str]) -> Option<bool> {
    get(v, path).and_then(|v| v.as_bool())
}

/// The pod spec of a workload, whatever its kind.
fn pod_spec(doc: &Value) -> Option<&Value> {
    match str_of(doc, &["kind"])? {
        "Pod" => get(doc, &["spec"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            get(doc, &["spec", "template", "spec"])
        }
        "CronJob" => get(doc, &["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

pub fn check_file(path: &Path) -> anyhow::Result<Vec<Finding>> {
    let text = read(path)?;
    let mut out = Vec::new();
    for (line, doc) in documents(&text) {
        let value: Value = serde_yaml_ng::from_str(&doc)
            .map_err(|e| anyhow::anyhow!("{}:{line}: not YAML: {e}", path.display()))?;
        if value.is_null() {
            continue;
        }
        out.extend(check_doc(path, line, &value));
    }
    Ok(out)
}

pub fn check_doc(path: &Path, line: usize, doc: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(spec) = pod_spec(doc) else {
        return out;
    };
    let kind = str_of(doc, &["kind"]).unwrap_or("?");
    let resource = format!(
        "{kind}/{}",
        str_of(doc, &["metadata", "name"]).unwrap_or("?")
    );
    let mut push = |rule, message: String| {
        out.push(Finding {
            rule,
            file: path.to_path_buf(),
            line,
            resource: resource.clone(),
            message,
        })
    };

    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if bool_of(spec, &[key]) == Some(true) {
            push("K8S009", format!("{key} is on"));
        }
    }
    if bool_of(spec, &["automountServiceAccountToken"]) != Some(false) {
        push("K8S011", "automountServiceAccountToken is not false".into());
    }
    let pod_non_root = bool_of(spec, &["securityContext", "runAsNonRoot"]) == Some(true);
    let pod_seccomp =
        str_of(spec, &["securityContext", "seccompProfile", "type"]) == Some("RuntimeDefault");

    let containers = ["initContainers", "containers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(|c| c.as_sequence()))
        .flatten();
    for c in containers {
        let name = str_of(c, &["name"]).unwrap_or("?");
        let sc = |k: &str| get(c, &["securityContext", k]);
        if sc("privileged").and_then(|v| v.as_bool()) == Some(true) {
            push("K8S001", format!("container {name} is privileged"));
        }
        if sc("allowPrivilegeEscalation").and_then(|v| v.as_bool()) != Some(false) {
            push(
                "K8S002",
                format!("container {name}: allowPrivilegeEscalation is not false"),
            );
        }
        if sc("readOnlyRootFilesystem").and_then(|v| v.as_bool()) != Some(true) {
            push(
                "K8S003",
                format!("container {name}: root file system is writable"),
            );
        }
        let drops_all = get(c, &["securityContext", "capabilities", "drop"])
            .and_then(|d| d.as_sequence())
            .is_some_and(|d| d.iter().any(|x| x.as_str() == Some("ALL")));
        if !drops_all {
            push(
                "K8S004",
                format!("container {name}: capabilities do not drop ALL"),
            );
        }
        let non_root = sc("runAsNonRoot")
            .and_then(|v| v.as_bool())
            .unwrap_or(pod_non_root);
        let uid0 = sc("runAsUser").and_then(|v| v.as_u64()) == Some(0);
        if !non_root || uid0 {
            push("K8S005", format!("container {name} may run as root"));
        }
        let seccomp = str_of(c, &["securityContext", "seccompProfile", "type"])
            .map(|t| t == "RuntimeDefault" || t == "Localhost")
            .unwrap_or(pod_seccomp);
        if !seccomp {
            push(
                "K8S006",
                format!("container {name}: no RuntimeDefault seccomp profile"),
            );
        }
        let image = str_of(c, &["image"]).unwrap_or("");
        if !image.contains("@sha256:") {
            push(
                "K8S007",
                format!("container {name}: image {image:?} is not referenced by digest"),
            );
        }
        for (section, key) in [
            ("requests", "cpu"),
            ("requests", "memory"),
            ("limits", "cpu"),
            ("limits", "memory"),
        ] {
            if get(c, &["resources", section, key]).is_none() {
                push(
                    "K8S008",
                    format!("container {name}: no resources.{section}.{key}"),
                );
            }
        }
        if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") {
            for probe in ["livenessProbe", "readinessProbe"] {
                if c.get(probe).is_none() {
                    push("K8S010", format!("container {name}: no {probe}"));
                }
            }
        }
    }
    out
}
