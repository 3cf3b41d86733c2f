"""The baseline: a bare python-telegram-bot echo bot (Application + Updater polling).

Usage: python3 bench/echo_bot.py TOKEN BASE_URL
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


def main() -> None:
    token, base_url = sys.argv[1], sys.argv[2]
    app = Application.builder().token(token).base_url(base_url.rstrip("/") + "/bot").build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=25, drop_pending_updates=False)


if __name__ == "__main__":
    main()
