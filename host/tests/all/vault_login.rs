//! `vault-login` (`Runtime::vault_login`): one login whose access token a
//! caller keeps and passes back as the `access-token` login
//! (`Settings::with_access_token`), and the reach that keeps it from reading
//! a secret, even in a hostile build (tests/hostile).

use crate::harness::{cache, component_path};
use crate::sandbox::{hostile, settings};
use raxx_fakes::World;
use raxx_host::{CallError, MintError, MintRequest, Runtime};

fn mint_request() -> MintRequest {
    MintRequest {
        bot: None,
        agent: Some("feature-developer".into()),
        owner: None,
        repositories: vec![],
        permissions: vec![],
    }
}

#[test]
fn one_login_serves_later_mints_until_the_vault_refuses_the_token() {
    let world = World::start_shared();
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let settings = settings(&world);
    let access = runtime.vault_login(&settings).unwrap();
    assert_eq!(access.expires_in, Some(7200), "Infisical's expiresIn");
    assert_eq!(
        (world.infisical.logins(), world.infisical.secret_reads()),
        (1, 0),
        "a login and no secret"
    );
    let kept = settings.with_access_token(&access.access_token);
    let resolved = runtime
        .resolve(&crate::egress::policy(), &mint_request())
        .unwrap();
    for _ in 0..2 {
        runtime.mint(&kept, &resolved).result.unwrap();
    }
    assert_eq!(
        (world.infisical.logins(), world.infisical.secret_reads()),
        (1, 2),
        "each mint read the folder with the kept token and logged in no more"
    );
    world.infisical.revoke_access_tokens();
    let Err(CallError::Failed(MintError::Vault(refused))) = runtime.mint(&kept, &resolved).result
    else {
        panic!("a revoked kept token is a vault failure")
    };
    assert_eq!(refused.status, Some(401));
    assert!(
        refused.message.ends_with(
            "the access token was refused (expired or revoked): with INFISICAL_AUTH_METHOD=token issue a new INFISICAL_TOKEN; after a login, check the machine identity's Access Token TTL"
        ),
        "{}",
        refused.message
    );
    assert!(!refused.message.contains(&access.access_token));
    assert_eq!(
        world.infisical.logins(),
        1,
        "the component does not log in for a given token"
    );
    world.infisical.set_expires_in(0);
    assert_eq!(
        runtime.vault_login(&settings).unwrap().expires_in,
        None,
        "expiresIn 0: the token does not expire"
    );
    assert_eq!(
        runtime.vault_login(&kept).unwrap().access_token,
        access.access_token,
        "an access-token login comes back as given, with nothing sent"
    );
    assert_eq!(world.infisical.logins(), 2);
}

#[test]
fn a_hostile_vault_login_reaches_the_login_and_nothing_else() {
    let world = World::start_shared();
    // The hostile build's vault-login sends, in order: the bot's folder, a
    // token exchange, and the Universal Auth login with the settings' secret.
    // It reports what it saw as the access token it returns.
    let report = hostile()
        .vault_login(&settings(&world))
        .expect("the hostile vault-login reports what it saw")
        .access_token;
    assert_eq!(report, "vault-login: denied; denied; status 200");
    assert_eq!(world.infisical.secret_reads(), 0, "no secret was read");
    assert_eq!(world.infisical.logins(), 1);
    assert!(world.github.requests().is_empty(), "nothing reached GitHub");
}
