"""Alibaba Cloud SMS sandbox from the command line, until Ctrl-C or SIGTERM.

    .venv/bin/python -m simulators.sms --port 18110 --access-key-id KEY --access-key-secret SECRET
    # the console's SDK then uses protocol "http", endpoint "127.0.0.1:18110" and the same key pair
    curl 'http://127.0.0.1:18110/inbox?phone=13800138000'   # {"messages": [...]}, newest last
    curl -X DELETE http://127.0.0.1:18110/inbox              # empty it
"""

from __future__ import annotations

import argparse

import uvicorn

from simulators.sms.alibaba import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, AlibabaSmsSandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulators.sms", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18110)
    parser.add_argument("--access-key-id", default=DEFAULT_ACCESS_KEY_ID)
    parser.add_argument("--access-key-secret", default=DEFAULT_ACCESS_KEY_SECRET)
    parser.add_argument("--sign-name", action="append", dest="sign_names", metavar="NAME",
                        help="a sign the account owns (repeatable; default: any sign is accepted)")
    parser.add_argument("--template-code", action="append", dest="template_codes", metavar="CODE",
                        help="a template the account owns (repeatable; default: any template is accepted)")
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sandbox = AlibabaSmsSandbox({args.access_key_id: args.access_key_secret}, sign_names=args.sign_names,
                                template_codes=args.template_codes)
    print(f"Alibaba Cloud SMS sandbox on http://{args.host}:{args.port} "
          f"(AccessKeyId {args.access_key_id}; inbox: /inbox?phone=...)", flush=True)
    uvicorn.run(sandbox.create_app(), host=args.host, port=args.port, log_level=args.log_level.lower())


if __name__ == "__main__":
    main()
