"""Long notifications are split at block boundaries, each part within Telegram's limit."""

from __future__ import annotations

from ui.messages import TEXT_LIMIT, group_blocks, pack_blocks, visible_length


def test_visible_length_counts_text_not_markup() -> None:
    assert visible_length("<b>a&lt;b</b>") == 3


def test_blocks_are_packed_in_order_and_never_split() -> None:
    blocks = [f"<b>{i}.</b> " + "слово " * 150 for i in range(40)]
    messages = pack_blocks(blocks)
    assert len(messages) > 1
    assert all(visible_length(m) <= TEXT_LIMIT for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(blocks)  # nothing lost, nothing reordered


def test_groups_cover_every_block_once() -> None:
    blocks = ["x" * 3000, "y" * 1000, "z" * 100, "w" * 4000]
    groups = group_blocks(blocks)
    assert [i for g in groups for i in g] == [0, 1, 2, 3]
    # 3000 + "\n\n" + 1000 fits; adding 100 more would not; 100 + 4000 would not either.
    assert groups == [[0, 1], [2], [3]]


def test_an_oversized_block_is_cut_at_word_boundaries() -> None:
    block = "<i>" + ("длинное слово " * 700) + "</i>"
    parts = pack_blocks([block])
    assert len(parts) == 3
    assert all(visible_length(p) <= TEXT_LIMIT for p in parts)
    assert all("<i>" not in p for p in parts)
