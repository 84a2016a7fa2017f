"""Answers to admin input no other handler took."""

from __future__ import annotations

from bot.i18n import _


def not_understood() -> str:
    return _("Не понял сообщение. Выберите раздел в меню:")


def waiting_for_answer() -> str:
    """A message the current step can't take."""
    return _("Сейчас я жду ответа на вопрос выше. Выйти из этого шага: /cancel "
             "или кнопка ниже.")
