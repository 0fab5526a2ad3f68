//! Terraform modules, parsed with `hcl-rs` (no provider plugins needed).

use std::path::{Path, PathBuf};

use hcl::{Block, Body, Expression};

use crate::{Finding, line_of, read};

/// The only ingress rules that may admit the whole internet, and only on 443: the documented
/// public entry point of the VPC module (the load balancer).
pub const PUBLIC_INGRESS_ALLOWED: &[&str] = &["aws_vpc_security_group_ingress_rule.alb_https"];

/// Resource types AWS cannot tag (sub-resources, associations, policies, records).
const UNTAGGABLE: &[&str] = &[
    "aws_route",
    "aws_route_table_association",
    "aws_network_acl_rule",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_kms_alias",
    "aws_kms_key_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_acl",
    "aws_sns_topic_subscription",
    "aws_route53_record",
    "aws_acm_certificate_validation",
    "aws_cloudfront_origin_access_control",
    "aws_cloudfront_response_headers_policy",
    "aws_wafv2_web_acl_logging_configuration",
    "aws_networkfirewall_logging_configuration",
    "aws_db_instance_automated_backups_replication",
    "aws_vpc_security_group_egress_rule_association",
];

/// A parsed module: every `*.tf` file of one directory (not its subdirectories).
pub struct Module {
    pub dir: PathBuf,
    pub files: Vec<(PathBuf, String, Body)>,
}

/// A block with where it came from.
pub struct Located<'a> {
    pub block: &'a Block,
    pub file: &'a Path,
    pub line: usize,
}

impl Module {
    pub fn load(dir: &Path) -> anyhow::Result<Module> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "tf"))
            .collect();
        paths.sort();
        anyhow::ensure!(
            !paths.is_empty(),
            "{} holds no .tf files: not a Terraform module",
            dir.display()
        );
        let mut files = Vec::new();
        for path in paths {
            let text = read(&path)?;
            let body = hcl::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: not valid HCL: {e}", path.display()))?;
            files.push((path, text, body));
        }
        Ok(Module {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// Top-level blocks of one kind (`resource`, `variable`, …) in file order.
    pub fn blocks(&self, kind: &str) -> Vec<Located<'_>> {
        let mut out = Vec::new();
        for (path, text, body) in &self.files {
            for block in body.blocks().filter(|b| b.identifier() == kind) {
                let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
                let needle = match labels.as_slice() {
                    [a, b] => format!("{kind} \"{a}\" \"{b}\""),
                    [a] => format!("{kind} \"{a}\""),
                    _ => kind.to_string(),
                };
                out.push(Located {
                    block,
                    file: path,
                    line: line_of(text, &needle),
                });
            }
        }
        out
    }

    fn variable_default(&self, name: &str) -> Option<&Expression> {
        self.blocks("variable")
            .into_iter()
            .find(|v| label(v.block, 0) == name)
            .and_then(|v| attr(v.block.body(), "default"))
    }
}

pub(crate) fn label(block: &Block, i: usize) -> &str {
    block.labels().get(i).map(|l| l.as_str()).unwrap_or("")
}

pub(crate) fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

/// The expression as HCL text, on one line.
pub fn text(expr: &Expression) -> String {
    let s = hcl::format::to_string(expr).unwrap_or_default();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_true(body: &Body, key: &str) -> bool {
    matches!(attr(body, key), Some(Expression::Bool(true)))
}

fn is_false(body: &Body, key: &str) -> bool {
    matches!(attr(body, key), Some(Expression::Bool(false)))
}

fn number(expr: Option<&Expression>) -> Option<i64> {
    match expr {
        Some(Expression::Number(n)) => n.as_i64(),
        _ => None,
    }
}

fn strings(expr: &Expression) -> Vec<String> {
    match expr {
        Expression::String(s) => vec![s.clone()],
        Expression::Array(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

const WORLD: &[&str] = &["0.0.0.0/0", "::/0"];

/// Every rule over one module directory.
pub fn check_dir(dir: &Path) -> anyhow::Result<Vec<Finding>> {
    let module = Module::load(dir)?;
    Ok(check(&module))
}

pub fn check(m: &Module) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |rule, l: &Located, resource: String, message: String| {
        out.push(Finding {
            rule,
            file: l.file.to_path_buf(),
            line: l.line,
            resource,
            message,
        })
    };

    for v in m.blocks("variable") {
        let name = format!("var.{}", label(v.block, 0));
        for key in ["type", "description"] {
            if attr(v.block.body(), key).is_none() {
                push("TF001", &v, name.clone(), format!("variable has no {key}"));
            }
        }
    }
    for o in m.blocks("output") {
        if attr(o.block.body(), "description").is_none() {
            push(
                "TF002",
                &o,
                format!("output.{}", label(o.block, 0)),
                "output has no description".into(),
            );
        }
    }

    let resources = m.blocks("resource");
    let refers = |ty: &str, target: &str| {
        resources.iter().any(|r| {
            label(r.block, 0) == ty
                && attr(r.block.body(), "bucket")
                    .is_some_and(|e| text(e).contains(&format!("{target}.")))
        })
    };

    for r in &resources {
        let (ty, name) = (label(r.block, 0), label(r.block, 1));
        let addr = format!("{ty}.{name}");
        let body = r.block.body();

        if ty.starts_with("aws_") && !UNTAGGABLE.contains(&ty) && attr(body, "tags").is_none() {
            push(
                "TF003",
                r,
                addr.clone(),
                "taggable resource without tags (team, cost-center, data-classification)".into(),
            );
        }

        match ty {
            "aws_s3_bucket" => {
                if !refers("aws_s3_bucket_server_side_encryption_configuration", &addr) {
                    push(
                        "TF010",
                        r,
                        addr.clone(),
                        "bucket without a server-side encryption configuration".into(),
                    );
                }
                if !refers("aws_s3_bucket_public_access_block", &addr) {
                    push(
                        "TF011",
                        r,
                        addr.clone(),
                        "bucket without a public access block".into(),
                    );
                }
                if let Some(acl) = attr(body, "acl").map(text)
                    && acl.contains("public")
                {
                    push(
                        "TF012",
                        r,
                        addr.clone(),
                        format!("bucket ACL {acl} is public"),
                    );
                }
            }
            "aws_s3_bucket_public_access_block" => {
                for key in [
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                ] {
                    if !is_true(body, key) {
                        push("TF011", r, addr.clone(), format!("{key} is not true"));
                    }
                }
            }
            "aws_s3_bucket_acl" => {
                if let Some(acl) = attr(body, "acl").map(text)
                    && (acl.contains("public") || acl.contains("authenticated"))
                {
                    push(
                        "TF012",
                        r,
                        addr.clone(),
                        format!("bucket ACL {acl} is public"),
                    );
                }
            }
            "aws_vpc_security_group_ingress_rule" => {
                let cidrs = [attr(body, "cidr_ipv4"), attr(body, "cidr_ipv6")]
                    .into_iter()
                    .flatten()
                    .flat_map(|e| resolve_cidrs(m, body, e))
                    .collect::<Vec<_>>();
                if cidrs.iter().any(|c| WORLD.contains(&c.as_str())) {
                    let https_only = number(attr(body, "from_port")) == Some(443)
                        && number(attr(body, "to_port")) == Some(443);
                    if !(PUBLIC_INGRESS_ALLOWED.contains(&addr.as_str()) && https_only) {
                        push(
                            "TF020",
                            r,
                            addr.clone(),
                            format!(
                                "ingress from the whole internet on ports {}-{} (only the documented load-balancer rule may be, on 443)",
                                attr(body, "from_port").map(text).unwrap_or_default(),
                                attr(body, "to_port").map(text).unwrap_or_default()
                            ),
                        );
                    }
                }
            }
            "aws_security_group_rule" => {
                let ingress = attr(body, "type").map(text).as_deref() == Some("\"ingress\"");
                let world = attr(body, "cidr_blocks")
                    .map(strings)
                    .unwrap_or_default()
                    .iter()
                    .any(|c| WORLD.contains(&c.as_str()));
                if ingress && world {
                    push(
                        "TF020",
                        r,
                        addr.clone(),
                        "ingress from the whole internet".into(),
                    );
                }
            }
            "aws_security_group" => {
                for b in body.blocks().filter(|b| b.identifier() == "ingress") {
                    let world = attr(b.body(), "cidr_blocks")
                        .map(strings)
                        .unwrap_or_default()
                        .iter()
                        .any(|c| WORLD.contains(&c.as_str()));
                    if world {
                        push(
                            "TF020",
                            r,
                            addr.clone(),
                            "inline ingress from the whole internet".into(),
                        );
                    }
                }
            }
            "aws_network_acl_rule" => {
                let world = attr(body, "cidr_block")
                    .map(strings)
                    .unwrap_or_default()
                    .iter()
                    .any(|c| WORLD.contains(&c.as_str()));
                if world && !is_true(body, "egress") {
                    let (from, to) = (
                        number(attr(body, "from_port")),
                        number(attr(body, "to_port")),
                    );
                    if let (Some(from), Some(to)) = (from, to)
                        && admin_port_in(from, to)
                    {
                        push(
                            "TF021",
                            r,
                            addr.clone(),
                            format!("network ACL admits {from}-{to} (SSH or RDP) from anywhere"),
                        );
                    }
                }
            }
            "aws_db_instance" => {
                if !is_false(body, "publicly_accessible") {
                    push(
                        "TF030",
                        r,
                        addr.clone(),
                        "database is not explicitly private (publicly_accessible = false)".into(),
                    );
                }
                if !is_true(body, "storage_encrypted") {
                    push(
                        "TF030",
                        r,
                        addr.clone(),
                        "database storage not encrypted (storage_encrypted = true)".into(),
                    );
                }
                let replica = attr(body, "replicate_source_db").is_some();
                match attr(body, "backup_retention_period") {
                    None if !replica => push(
                        "TF030",
                        r,
                        addr.clone(),
                        "no backup_retention_period: automated backups off".into(),
                    ),
                    Some(e) if number(Some(e)).is_some_and(|d| d < 7) => push(
                        "TF030",
                        r,
                        addr.clone(),
                        format!("backups kept {} days (at least 7)", text(e)),
                    ),
                    _ => {}
                }
                if attr(body, "deletion_protection").is_none()
                    || is_false(body, "deletion_protection")
                {
                    push(
                        "TF030",
                        r,
                        addr.clone(),
                        "deletion_protection is not on".into(),
                    );
                }
            }
            "aws_kms_key" if !is_true(body, "enable_key_rotation") => {
                push("TF031", r, addr.clone(), "key rotation is off".into());
            }
            "aws_cloudwatch_log_group" => {
                for key in ["kms_key_id", "retention_in_days"] {
                    if attr(body, key).is_none() {
                        push("TF032", r, addr.clone(), format!("log group without {key}"));
                    }
                }
            }
            "aws_sns_topic" if attr(body, "kms_master_key_id").is_none() => {
                push(
                    "TF033",
                    r,
                    addr.clone(),
                    "topic not encrypted with a KMS key".into(),
                );
            }
            _ => {}
        }
    }

    // Network ACL rules built from object literals (locals, for_each maps).
    for (path, src, body) in &m.files {
        let mut objects = Vec::new();
        collect_objects_body(body, &mut objects);
        for obj in objects {
            if let Some(msg) = open_admin_object(obj) {
                out.push(Finding {
                    rule: "TF021",
                    file: path.clone(),
                    line: line_of(src, "0.0.0.0/0"),
                    resource: "locals".into(),
                    message: msg,
                });
            }
        }
    }
    out
}

fn admin_port_in(from: i64, to: i64) -> bool {
    [22, 3389].iter().any(|p| (from..=to).contains(p)) || from < 0 || (from == 0 && to == 0)
}

/// The CIDRs an ingress rule's `cidr_ipv4` can take: a literal, or `each.value` over a variable's
/// default (`for_each = toset(var.x)`).
fn resolve_cidrs(m: &Module, body: &Body, e: &Expression) -> Vec<String> {
    let lit = strings(e);
    if !lit.is_empty() {
        return lit;
    }
    let t = text(e);
    if t.starts_with("each.")
        && let Some(fe) = attr(body, "for_each").map(text)
        && let Some(var) = fe.split("var.").nth(1)
    {
        let name: String = var
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        return m.variable_default(&name).map(strings).unwrap_or_default();
    }
    if let Some(var) = t.strip_prefix("var.") {
        return m.variable_default(var).map(strings).unwrap_or_default();
    }
    Vec::new()
}

fn collect_objects_body<'a>(
    body: &'a Body,
    out: &mut Vec<&'a hcl::Object<hcl::ObjectKey, Expression>>,
) {
    for a in body.attributes() {
        collect_objects(a.expr(), out);
    }
    for b in body.blocks() {
        collect_objects_body(b.body(), out);
    }
}

fn collect_objects<'a>(
    e: &'a Expression,
    out: &mut Vec<&'a hcl::Object<hcl::ObjectKey, Expression>>,
) {
    match e {
        Expression::Object(o) => {
            out.push(o);
            for v in o.values() {
                collect_objects(v, out);
            }
        }
        Expression::Array(items) => items.iter().for_each(|i| collect_objects(i, out)),
        Expression::FuncCall(f) => f.args.iter().for_each(|a| collect_objects(a, out)),
        Expression::Parenthesis(p) => collect_objects(p, out),
        Expression::ForExpr(f) => {
            collect_objects(&f.value_expr, out);
            if let Some(k) = &f.key_expr {
                collect_objects(k, out);
            }
        }
        Expression::Conditional(c) => {
            collect_objects(&c.true_expr, out);
            collect_objects(&c.false_expr, out);
        }
        _ => {}
    }
}

/// An object literal shaped like an ingress ACL rule (`cidr`, `from`, `to`, `egress = false`)
/// that admits SSH or RDP from anywhere.
fn open_admin_object(o: &hcl::Object<hcl::ObjectKey, Expression>) -> Option<String> {
    let get = |keys: &[&str]| {
        o.iter()
            .find(|(k, _)| keys.contains(&k.to_string().trim_matches('"')))
            .map(|(_, v)| v)
    };
    let cidr = get(&["cidr", "cidr_block", "cidr_ipv4"])?;
    if !strings(cidr).iter().any(|c| WORLD.contains(&c.as_str())) {
        return None;
    }
    if matches!(get(&["egress"]), Some(Expression::Bool(true))) {
        return None;
    }
    let from = number(get(&["from", "from_port"]))?;
    let to = number(get(&["to", "to_port"]))?;
    admin_port_in(from, to)
        .then(|| format!("ACL rule admits {from}-{to} (SSH or RDP) from anywhere"))
}
