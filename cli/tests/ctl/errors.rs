//! Failures as the operator sees them: one line on stderr, exit code 1.

use crate::support::{self, TOKEN, ctl, env_for, pairs, write_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_target_for_an_unknown_image_is_not_found() {
    let licensing = support::licensing(5).await;
    let env = env_for("licensing", licensing.addr);

    let run = ctl(
        &["targets", "add", "acme/unknown", "--rule", "latest"],
        &pairs(&env),
    )
    .await;
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: NOT_FOUND: image \"acme/unknown\" is not known: no connected registry has \
         reported a repository of that name; check the name, or refresh the integration that \
         should see it\n"
    );

    licensing.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_unauthenticated() {
    let licensing = support::licensing(5).await;
    let url = format!("http://{}", licensing.addr);

    let flag = ctl(&["--token", "wrong", "--licensing", &url, "licences"], &[]).await;
    assert_eq!(flag.code, Some(1));
    assert_eq!(flag.stdout, "");
    assert_eq!(flag.stderr, "error: UNAUTHENTICATED: invalid token\n");

    let env = [
        ("TAGWARDEN_TOKEN", "also-wrong"),
        ("TAGWARDEN_LICENSING_URL", &url),
    ];
    let from_env = ctl(&["targets", "list"], &env).await;
    assert_eq!(from_env.code, Some(1));
    assert_eq!(from_env.stderr, "error: UNAUTHENTICATED: invalid token\n");

    licensing.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_binary_says_where_to_put_one() {
    let run = ctl(&["licences"], &[]).await;
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: no API token: pass --token, set TAGWARDEN_TOKEN, or set `token` in \
         ~/.config/tagwarden/cli.toml\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_file_gives_token_and_url_and_flags_win() {
    let licensing = support::licensing(4).await;
    let config = tempfile::tempdir().unwrap();
    let url = format!("http://{}", licensing.addr);
    write_config(
        config.path(),
        &format!("token = \"{TOKEN}\"\nlicensing = \"{url}\"\n"),
    );
    let xdg = config.path().display().to_string();
    let env = [("XDG_CONFIG_HOME", xdg.as_str())];

    let run = ctl(&["licences"], &env).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "pool    4\nin use  0\nlocked  0\nfree    4\n");

    let overridden = ctl(&["--token", "nope", "licences"], &env).await;
    assert_eq!(overridden.stderr, "error: UNAUTHENTICATED: invalid token\n");

    licensing.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_is_unavailable() {
    // A port that was just free: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = ctl(
        &["--scheduler", &url, "--token", TOKEN, "scans", "list"],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1));
    let prefix = format!("error: UNAVAILABLE: cannot reach scheduler at {url} (");
    assert!(run.stderr.starts_with(&prefix), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_usage_errors() {
    let run = ctl(&["targets", "add", "acme/app"], &[]).await;
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("--rule <RULE>"), "{}", run.stderr);
}
