"""Share texts in the store: the content's texts per network and language (a JSON column of
``content``) and the text a person edited for one suggestion (``delivery.text``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, update

from bot.model import ContentTranslation, DeliveryId, Network, ShareText
from content_store.tables import DeliveryRow

if TYPE_CHECKING:
    from content_store.repositories import Database


def share_texts_to_json(texts: Sequence[ShareText]) -> list[dict[str, str | None]]:
    """The column's value for these texts."""
    return [
        {
            "text": t.text,
            "network": t.network.value if t.network else None,
            "language": t.language,
        }
        for t in texts
    ]


def share_texts_of(value: Any) -> tuple[ShareText, ...]:
    """The texts stored in the column; a network this version does not know (a row written by
    a newer one) makes the text one for any network rather than failing the read."""
    found = []
    for item in value or ():
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            continue
        network = item.get("network")
        language = item.get("language")
        found.append(
            ShareText(
                item["text"],
                Network(network)
                if isinstance(network, str) and network in Network._value2member_map_
                else None,
                language if isinstance(language, str) and language else None,
            )
        )
    return tuple(found)


def translations_to_json(items: Sequence[ContentTranslation]) -> list[dict[str, str | None]]:
    """The column's value for these translations."""
    return [{"language": t.language, "title": t.title, "summary": t.summary} for t in items]


def translations_of(value: Any) -> tuple[ContentTranslation, ...]:
    """The translations stored in the column (malformed items are left out)."""
    found = []
    for item in value or ():
        if isinstance(item, dict) and isinstance(item.get("language"), str):
            title, summary = item.get("title"), item.get("summary")
            found.append(
                ContentTranslation(
                    item["language"],
                    title if isinstance(title, str) else None,
                    summary if isinstance(summary, str) else None,
                )
            )
    return tuple(found)


class SqlDeliveryTexts:
    """``DeliveryTexts`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save_text(self, *, delivery_id: DeliveryId, text: str) -> bool:
        table: Any = DeliveryRow.__table__  # type: ignore[attr-defined]
        async with self._db.transaction() as session:
            result = await session.execute(
                update(table)
                .where(
                    table.c.id == delivery_id,
                    or_(table.c.text.is_(None), table.c.text != text),
                )
                .values(text=text)
            )
            return bool(getattr(result, "rowcount", 0))
