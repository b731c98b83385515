"""What the bench has said: reminder sentences (templates rendered by tts.template.render) and OTP codes.

Two sets of sentences (A, B) and two of codes, so a setting chosen on one can be checked on the
other, and a third (C) held out to check the choice: the recogniser is deterministic, so the noise
in a figure is the sample, not the run.
Sentences are like the seed's reminders (debt, appointment, delivery), with amounts, dates,
times and digit strings read by our own rules.
"""

from __future__ import annotations

import random

from tts.template import render

_SET_A = [
    (
        "Chào bạn {{customer_name}} vui lòng thanh toán khoản nợ {{due_amount}} trước ngày {{due_date}}",
        {"customer_name": "Nguyễn Văn A", "due_amount": "10410000", "due_date": "30/01/2021"},
    ),
    (
        "Kính gửi quý khách {{name}}, hóa đơn điện tháng này là {{amount}} đồng, hạn thanh toán ngày {{date}}",
        {"name": "Trần Thị Bình", "amount": "1250000", "date": "15/12/2026"},
    ),
    (
        "Lịch hẹn khám bệnh của anh {{name}} lúc {{hour}} giờ sáng ngày {{date}} tại phòng khám số {{room}}",
        {"name": "Lê Minh", "hour": "9", "date": "05/12/2026", "room": "12"},
    ),
    (
        "Khoản vay số {{contract}} của bạn đã quá hạn {{days}} ngày, vui lòng liên hệ tổng đài",
        {"contract": "0912345", "days": "7"},
    ),
    (
        "Đơn hàng của bạn sẽ được giao trong ngày {{date}}, tổng số tiền cần trả là {{amount}} đồng",
        {"date": "08/12/2026", "amount": "345000"},
    ),
    (
        "Xin chào {{name}}, số dư tài khoản của bạn là {{amount}} đồng",
        {"name": "Phạm Thu Hà", "amount": "2505000"},
    ),
]
_SET_B = [
    (
        "Quý khách {{name}} còn nợ cước viễn thông {{amount}} đồng, vui lòng thanh toán trước ngày {{date}}",
        {"name": "Hoàng Văn Nam", "amount": "458000", "date": "20/12/2026"},
    ),
    (
        "Nhắc lịch tiêm chủng cho bé {{name}} vào ngày {{date}}, mang theo sổ tiêm",
        {"name": "Minh Anh", "date": "11/01/2027"},
    ),
    (
        "Hợp đồng bảo hiểm số {{contract}} sẽ hết hạn vào ngày {{date}}, xin vui lòng gia hạn",
        {"contract": "2024105", "date": "31/12/2026"},
    ),
    (
        "Bạn {{name}} có lịch hẹn với ngân hàng lúc {{hour}} giờ chiều thứ sáu tuần này",
        {"name": "Đỗ Quang Huy", "hour": "3"},
    ),
    (
        "Khoản thanh toán {{amount}} đồng cho đơn hàng số {{order}} đã được xác nhận, cảm ơn quý khách",
        {"amount": "1999000", "order": "880421"},
    ),
    (
        "Vui lòng gọi lại tổng đài {{phone}} để được hỗ trợ, xin cảm ơn",
        {"phone": "19001234"},
    ),
]
# Held out: never used to choose a setting, only to check the choice made on A and B (--full's last stage).
_SET_C = [
    (
        "Chào anh {{name}}, khoản phí dịch vụ tháng {{month}} là {{amount}} đồng",
        {"name": "Vũ Đức Thắng", "month": "11", "amount": "199000"},
    ),
    (
        "Thẻ tín dụng của chị {{name}} có dư nợ {{amount}} đồng, ngày đến hạn là {{date}}",
        {"name": "Nguyễn Thị Lan", "amount": "7350000", "date": "25/12/2026"},
    ),
    (
        "Phòng khám nha khoa xin nhắc lịch hẹn của bạn lúc {{hour}} giờ ngày {{date}}",
        {"hour": "14", "date": "09/12/2026"},
    ),
    (
        "Gói cước của thuê bao {{phone}} sẽ được gia hạn tự động sau {{days}} ngày",
        {"phone": "0987654321", "days": "3"},
    ),
    (
        "Kiện hàng mã {{order}} đang trên đường giao, người nhận vui lòng chuẩn bị {{amount}} đồng",
        {"order": "55012", "amount": "620000"},
    ),
    (
        "Trường học thông báo học phí học kỳ một là {{amount}} đồng, hạn nộp ngày {{date}}",
        {"amount": "4800000", "date": "15/01/2027"},
    ),
]
SENTENCE_SETS = {"A": _SET_A, "B": _SET_B, "C": _SET_C}


def sentences(set_name: str) -> list[str]:
    """The spoken text of one set's sentences, as the renderer hands it to the engine."""
    return [render(text, fields) for text, fields in SENTENCE_SETS[set_name]]


def codes(count: int, seed: int) -> list[str]:
    """``count`` OTP codes of 4-6 digits (fixed by ``seed``); every third starts with 0, the digit most often lost."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        size = (4, 5, 6)[i % 3]
        digits = [str(rng.randrange(10)) for _ in range(size)]
        if i % 3 == 0:
            digits[0] = "0"
        out.append("".join(digits))
    return out


CODE_SETS = {"A": 101, "B": 202, "C": 303}  # set name -> seed; C held out like the sentences
