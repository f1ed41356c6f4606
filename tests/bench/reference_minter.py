#!/usr/bin/env python3
"""The reference minter: how users mint today, with requests + PyJWT.

The same three calls as raxx (Infisical Universal Auth login, list the bot's
folder, GitHub access_tokens), configured by the same environment variables.
Used only by the benchmark (scripts/bench); prints the token.
"""
import os
import sys
import time

import jwt
import requests


def main() -> int:
    bot = sys.argv[1]
    api = os.environ.get("INFISICAL_API_URL", "https://app.infisical.com").rstrip("/")
    if not api.endswith("/api"):
        api += "/api"
    login = requests.post(
        f"{api}/v1/auth/universal-auth/login",
        json={"clientId": os.environ["INFISICAL_CLIENT_ID"], "clientSecret": os.environ["INFISICAL_CLIENT_SECRET"]},
        timeout=20,
    )
    login.raise_for_status()
    access = login.json()["accessToken"]
    prefix = os.environ.get("INFISICAL_PATH_PREFIX", "/MooseQuest/").rstrip("/")
    listed = requests.get(
        f"{api}/v4/secrets",
        params={
            "projectId": os.environ["INFISICAL_PROJECT_ID"],
            "environment": os.environ.get("INFISICAL_ENVIRONMENT", "prod"),
            "secretPath": f"{prefix}/{bot}",
        },
        headers={"Authorization": f"Bearer {access}"},
        timeout=20,
    )
    listed.raise_for_status()
    secrets = {s["secretKey"]: s["secretValue"] for s in listed.json()["secrets"]}
    now = int(time.time())
    app_jwt = jwt.encode(
        {"iat": now - 60, "exp": now + 540, "iss": int(secrets["APP_ID"])},
        secrets["PRIVATE_KEY_PEM"].replace("\\n", "\n"),
        algorithm="RS256",
    )
    github = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    token = requests.post(
        f"{github}/app/installations/{secrets['INSTALLATION_ID']}/access_tokens",
        headers={
            "Authorization": f"Bearer {app_jwt}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "reference-minter",
        },
        timeout=20,
    )
    token.raise_for_status()
    print(token.json()["token"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
