"""Pure helpers any layer may use (they import nothing of handlers, services, views or
keyboards): Telegram HTML and entities, moments in the admins' words, the statistics'
periods, the composer's checks of typed input, pasted lists and time estimates."""
