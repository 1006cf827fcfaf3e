"""The console process (the web edge). At this stage: a status board over the services' gRPC."""

from __future__ import annotations

import uvicorn

from services.console.entrypoints.http import create_app
from services.console.settings import ConsoleSettings
from services.kit.logging import configure_logging


def main() -> None:
    settings = ConsoleSettings()
    configure_logging("console", settings.log_level)
    app = create_app(settings.acquisition_target, settings.wallet_target, settings.control_target)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_level="warning")


if __name__ == "__main__":
    main()
