use std::io::Write;
use std::process::{Command, Stdio};

fn slipway(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slipway"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SLIPWAY_") {
            c.env_remove(k);
        }
    }
    c.env("SLIPWAY_DATA_DIR", data).env("SLIPWAY_LOG", "warn");
    c
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "create-user", "--help"],
        vec!["admin", "grant", "--help"],
        vec!["admin", "reset-password", "--help"],
    ] {
        let out = slipway(dir.path()).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn migrate_then_create_a_user_and_grant_a_role() {
    let dir = tempfile::tempdir().unwrap();
    let out = slipway(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("slipway.db").exists());

    let mut child = slipway(dir.path())
        .args([
            "admin",
            "create-user",
            "--username",
            "Pat",
            "--display-name",
            "Pat Doe",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"pat's long password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user pat"));

    let out = slipway(dir.path())
        .args([
            "admin",
            "grant",
            "--username",
            "pat",
            "--role",
            "product-owner",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Bad input: a clear one-line error and a failing exit code.
    let out = slipway(dir.path())
        .args(["admin", "grant", "--username", "pat", "--role", "wizard"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));

    let out = slipway(dir.path())
        .args(["admin", "reset-password", "--username", "pat"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("one-time password"));
}
