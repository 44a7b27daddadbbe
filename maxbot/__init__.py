"""The MAX messenger transport: the same notices and services as Telegram, through MAX's Bot API.

- `client`: the few REST calls the bot makes (send, edit, answer a press, upload), MAX's failures translated
  into the delivery worker's four (`ui.sender`);
- `keyboards`: Telegram's inline keyboards as MAX's, within MAX's limits, the callback data unchanged;
- `render` and `sender`: notices rendered for MAX and sent by the MAX delivery worker;
- `handlers`: one module per feature (start, joining, tasks, progress, reports), each naming the buttons it answers and
  the steps its dialogs wait in; they call the services the aiogram handlers call;
- `app`: the wiring, used by `bot.app` when MAX_BOT_TOKEN is set.
"""
