//! `portfolio secrets` and `portfolio env render` as a process on a temporary git repository
//! (fixture `delivery`): encryption by path rules, round trips of YAML, JSON and .env, tamper
//! refusal, recipient changes, rotation, resealing, the plaintext check, rendering — and no
//! secret value in any output but `decrypt`'s.

mod common;
use common::copy_dir;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use secrets::Identity;

fn key_text(id: &Identity) -> String {
    use age::secrecy::ExposeSecret;
    id.to_string().expose_secret().to_string()
}

struct Repo {
    dir: tempfile::TempDir,
    outputs: std::cell::RefCell<Vec<String>>,
}

impl Repo {
    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, key: &Identity, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_portfolio"))
            .arg("--root")
            .arg(self.root())
            .args(args)
            .current_dir(self.root())
            .env_remove("PORTFOLIO_ROOT")
            .env_remove("PORTFOLIO_AGE_KEY_FILE")
            .env("PORTFOLIO_AGE_KEY", key_text(key))
            .env("EDITOR", "sed -i s/tok-123/tok-456/")
            .env_remove("VISUAL")
            .output()
            .unwrap();
        if args.first() != Some(&"secrets") || args.get(1) != Some(&"decrypt") {
            self.outputs.borrow_mut().push(text(&out));
        }
        out
    }

    fn ok(&self, key: &Identity, args: &[&str]) -> String {
        let out = self.run(key, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        text(&out)
    }
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

const SECRET_VALUES: [&str; 3] = ["tok-123", "pa55w0rd", "s3cr3t-json"];

#[test]
fn secrets_round_trip_refuse_tampering_and_never_leak() {
    let alice = Identity::generate();
    let bob = Identity::generate();
    let (a, b) = (alice.to_public().to_string(), bob.to_public().to_string());
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/delivery"),
        dir.path(),
    );
    let repo = Repo {
        dir,
        outputs: Default::default(),
    };
    let root = repo.root();
    let git = |args: &[&str]| {
        assert!(
            Command::new("git")
                .args(args)
                .current_dir(root)
                .status()
                .unwrap()
                .success()
        )
    };
    git(&["init", "-q", "-b", "work"]);
    git(&["config", "user.email", "alice@example.org"]);
    git(&["config", "user.name", "Alice"]);
    fs::write(
        root.join(".portfolio-secrets.toml"),
        format!("[[rule]]\npath = \"secrets/prod/**\"\nrecipients = [\"{a}\"]\n\n[[rule]]\npath = \"secrets/**\"\nrecipients = [\"{a}\", \"{b}\"]\n"),
    )
    .unwrap();
    fs::create_dir_all(root.join("secrets/staging")).unwrap();
    fs::create_dir_all(root.join("secrets/prod")).unwrap();
    let env_file = root.join("secrets/staging/svc__web.env");
    fs::write(
        &env_file,
        "# web\nWEB_TOKEN=tok-123\nDB_PASSWORD=pa55w0rd\n",
    )
    .unwrap();
    let yaml = root.join("secrets/prod/app.yaml");
    fs::write(&yaml, "db:\n  password: pa55w0rd\n  port: 5432\n").unwrap();
    let json = root.join("secrets/prod/app.json");
    fs::write(
        &json,
        "{\n  \"api\": {\"key\": \"s3cr3t-json\", \"enabled\": true}\n}\n",
    )
    .unwrap();

    // Plaintext under secrets/ fails the check.
    let out = repo.run(&alice, &["secrets", "check"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out)
            .matches("not encrypted: run `portfolio secrets encrypt")
            .count(),
        3,
        "{}",
        text(&out)
    );

    for f in [&env_file, &yaml, &json] {
        repo.ok(&alice, &["secrets", "encrypt", f.to_str().unwrap()]);
        let t = fs::read_to_string(f).unwrap();
        assert!(SECRET_VALUES.iter().all(|v| !t.contains(v)), "{t}");
        assert_eq!(fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
    }
    repo.ok(&alice, &["secrets", "check"]);
    // Round trips.
    let out = repo.ok(
        &alice,
        &["secrets", "decrypt", "secrets/staging/svc__web.env"],
    );
    assert!(
        out.starts_with("# web\nWEB_TOKEN=tok-123\nDB_PASSWORD=pa55w0rd\n"),
        "{out}"
    );
    let out = repo.ok(&alice, &["secrets", "decrypt", yaml.to_str().unwrap()]);
    assert_eq!(out, "db:\n  password: pa55w0rd\n  port: 5432\n");
    let out = repo.ok(&alice, &["secrets", "decrypt", json.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["api"]["key"], "s3cr3t-json");
    assert_eq!(v["api"]["enabled"], true);
    // Rules choose recipients: bob reads staging, not prod.
    repo.ok(&bob, &["secrets", "decrypt", env_file.to_str().unwrap()]);
    let out = repo.run(&bob, &["secrets", "decrypt", yaml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("none of your identities can decrypt"),
        "{}",
        text(&out)
    );

    // Tampering: a changed value, a removed key, reordered lines.
    let sealed = fs::read_to_string(&env_file).unwrap();
    let lines: Vec<&str> = sealed.lines().collect();
    for (what, bad) in [
        ("changed", sealed.replacen("data:", "data:AA", 1)),
        (
            "removed",
            format!("{}\n{}\n{}\n", lines[0], lines[1], lines[3]),
        ),
        (
            "reordered",
            format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]),
        ),
    ] {
        fs::write(&env_file, &bad).unwrap();
        let out = repo.run(&alice, &["secrets", "decrypt", env_file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{what}");
        let t = text(&out);
        assert!(
            t.contains("tampered with") || t.contains("MAC does not match"),
            "{what}: {t}"
        );
    }
    fs::write(&env_file, &sealed).unwrap();

    // Recipient change without re-encrypting values, then rotation.
    let before = fs::read_to_string(&yaml).unwrap();
    fs::write(
        root.join(".portfolio-secrets.toml"),
        format!("[[rule]]\npath = \"secrets/**\"\nrecipients = [\"{a}\", \"{b}\"]\n"),
    )
    .unwrap();
    let out = repo.ok(&alice, &["secrets", "updatekeys", yaml.to_str().unwrap()]);
    assert!(
        out.contains("1 → 2 recipient(s), values unchanged"),
        "{out}"
    );
    let after = fs::read_to_string(&yaml).unwrap();
    let pw = |t: &str| {
        t.lines()
            .find(|l| l.contains("password:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(pw(&before), pw(&after));
    repo.ok(&bob, &["secrets", "decrypt", yaml.to_str().unwrap()]);
    repo.ok(&bob, &["secrets", "rotate", yaml.to_str().unwrap()]);
    assert_ne!(pw(&after), pw(&fs::read_to_string(&yaml).unwrap()));

    // Removing a recipient rotates the data key: the values Alice could read are re-encrypted.
    let two = fs::read_to_string(root.join(".portfolio-secrets.toml")).unwrap();
    let with_both = fs::read_to_string(&yaml).unwrap();
    fs::write(
        root.join(".portfolio-secrets.toml"),
        format!("[[rule]]\npath = \"secrets/**\"\nrecipients = [\"{b}\"]\n"),
    )
    .unwrap();
    let out = repo.ok(&bob, &["secrets", "updatekeys", yaml.to_str().unwrap()]);
    assert!(
        out.contains("1 removed, so the data key was rotated"),
        "{out}"
    );
    assert_ne!(pw(&with_both), pw(&fs::read_to_string(&yaml).unwrap()));
    let out = repo.run(&alice, &["secrets", "decrypt", yaml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    repo.ok(&bob, &["secrets", "decrypt", yaml.to_str().unwrap()]);
    // --no-rotate keeps the values and says what that means.
    fs::write(&yaml, &with_both).unwrap();
    let out = repo.ok(
        &bob,
        &[
            "secrets",
            "updatekeys",
            "--no-rotate",
            yaml.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("can still decrypt it with the key they had"),
        "{out}"
    );
    assert_eq!(pw(&with_both), pw(&fs::read_to_string(&yaml).unwrap()));
    fs::write(root.join(".portfolio-secrets.toml"), two).unwrap();
    fs::write(&yaml, &with_both).unwrap();
    let out = repo.ok(&alice, &["secrets", "reseal"]);
    assert!(out.contains("3 file(s) resealed"), "{out}");
    // A bad rules file is named.
    let rules = fs::read_to_string(root.join(".portfolio-secrets.toml")).unwrap();
    fs::write(
        root.join(".portfolio-secrets.toml"),
        "[[rule]]\npath = \"x\"\nrecipients = [\"nope\"]\n",
    )
    .unwrap();
    let out = repo.run(&alice, &["secrets", "encrypt", "secrets/staging/other.env"]);
    assert!(
        text(&out).contains(".portfolio-secrets.toml: rule `x`: `nope` is not an age recipient"),
        "{}",
        text(&out)
    );
    fs::write(root.join(".portfolio-secrets.toml"), rules).unwrap();

    // Plain secrets anywhere in the tree.
    let key_id = format!("AKIA{}", "ABCDEFGHIJKLMNOP");
    fs::write(
        root.join("projects/svc/web/config.js"),
        format!("// oops\nconst k = \"{key_id}\";\n"),
    )
    .unwrap();
    fs::write(
        root.join("projects/svc/lib/id_rsa"),
        format!("-----BEGIN {} KEY-----\nMIIE\n", "RSA PRIVATE"),
    )
    .unwrap();
    let out = repo.run(&alice, &["secrets", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(
        t.contains("projects/svc/web/config.js:2: AWS access key id in plain text"),
        "{t}"
    );
    assert!(
        t.contains("projects/svc/lib/id_rsa:1: private key block in plain text"),
        "{t}"
    );
    fs::remove_file(root.join("projects/svc/web/config.js")).unwrap();
    fs::remove_file(root.join("projects/svc/lib/id_rsa")).unwrap();

    // env render: names and sources only; a 0600 file; a command with the values in memory.
    let out = repo.ok(
        &alice,
        &["env", "render", "--env", "staging", "--project", "svc/web"],
    );
    assert!(
        out.contains("WEB_TOKEN") && out.contains("secret") && out.contains("WEB_PORT"),
        "{out}"
    );
    let rendered = root.join("rendered.env");
    repo.ok(
        &alice,
        &[
            "env",
            "render",
            "--env",
            "staging",
            "--project",
            "svc/web",
            "--output",
            rendered.to_str().unwrap(),
        ],
    );
    let r = fs::read_to_string(&rendered).unwrap();
    assert!(
        r.contains("WEB_TOKEN=tok-123") && r.contains("PORTFOLIO_ENV=staging"),
        "{r}"
    );
    assert_eq!(
        fs::metadata(&rendered).unwrap().permissions().mode() & 0o777,
        0o600
    );
    repo.ok(
        &alice,
        &[
            "env",
            "render",
            "--env",
            "staging",
            "--project",
            "svc/web",
            "--",
            "sh",
            "-c",
            "test \"$DB_PASSWORD\" = pa55w0rd",
        ],
    );

    // edit: the editor changes the decrypted copy; the file is encrypted again, to the same
    // recipients, and the plaintext copy is gone.
    let out = repo.ok(&alice, &["secrets", "edit", env_file.to_str().unwrap()]);
    assert!(out.contains("re-encrypted"), "{out}");
    let t = fs::read_to_string(&env_file).unwrap();
    assert!(!t.contains("tok-456") && t.contains("ENC[v1,"), "{t}");
    let out = repo.ok(&bob, &["secrets", "decrypt", env_file.to_str().unwrap()]);
    assert!(out.contains("WEB_TOKEN=tok-456"), "{out}");
    let out = repo.ok(&alice, &["secrets", "edit", env_file.to_str().unwrap()]);
    assert!(out.contains("no change"), "{out}");

    // Access review lists who can decrypt.
    let out = repo.ok(&alice, &["audit", "access-review"]);
    assert!(out.contains(&b) && out.contains("decrypt secrets"), "{out}");

    // No command but decrypt ever printed a secret value.
    for o in repo.outputs.borrow().iter() {
        for v in SECRET_VALUES {
            assert!(!o.contains(v), "`{v}` leaked in:\n{o}");
        }
    }
}
