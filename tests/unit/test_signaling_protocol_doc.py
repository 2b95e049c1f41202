"""PROTOCOL.md stays true: its examples are valid messages of the current version."""

from __future__ import annotations

import json
import re
from pathlib import Path

import signaling
from signaling import (
    Answer,
    AvailabilityUpdate,
    CallUpdate,
    CameraAnswer,
    CameraAsk,
    CameraTakePhoto,
    CameraWelcome,
    ChatPosted,
    DevicePending,
    DeviceRequest,
    ErrorReply,
    InspectionChanged,
    Moved,
    NoCommonCodec,
    PeerMedia,
    PhoneCameraPhotoFailed,
    PhoneCameraState,
    PhotoTaken,
    Pong,
    PositionUpdate,
    QualityUpdate,
    QueueUpdate,
    RtcConfig,
    TakePhoto,
    Welcome,
    parse_client_message,
)

DOC = (Path(signaling.__file__).parent / "PROTOCOL.md").read_text(encoding="utf-8")
SERVER_MODELS = {
    "welcome": Welcome,
    "queue": QueueUpdate,
    "position": PositionUpdate,
    "call": CallUpdate,
    "availability": AvailabilityUpdate,
    "chat": ChatPosted,
    "error": ErrorReply,
    "moved": Moved,
    "pong": Pong,
    "rtc_config": RtcConfig,
    "answer": Answer,
    "media": PeerMedia,
    "take_photo": TakePhoto,
    "photo": PhotoTaken,
    "device_pending": DevicePending,
    "device_request": DeviceRequest,
    "camera_request": CameraAsk,
    "camera_reply": CameraAnswer,
    "no_common_codec": NoCommonCodec,
    "quality": QualityUpdate,
    "inspection": InspectionChanged,
    "camera_welcome": CameraWelcome,
    "phone_camera": PhoneCameraState,
    "camera_take_photo": CameraTakePhoto,
    "phone_camera_photo_failed": PhoneCameraPhotoFailed,
}


def test_every_client_example_parses() -> None:
    examples = re.findall(r"\| `(\{.*?\})` \|", DOC)
    assert {parse_client_message(raw).type for raw in examples} == set(
        signaling.messages.CLIENT_MESSAGE_TYPES
    )


def test_every_server_example_is_a_valid_server_message() -> None:
    seen = set()
    for block in re.findall(r"```json\n(.*?)```", DOC, re.S):
        data = json.loads(block)
        model = SERVER_MODELS[data["type"]].model_validate(data)
        wire = json.loads(model.to_json())
        assert {key: wire[key] for key in data} == data
        seen.add(data["type"])
    assert seen == set(SERVER_MODELS)


def test_every_error_code_and_close_code_is_documented() -> None:
    for code in (
        "bad_json",
        "bad_message",
        "too_large",
        "unsupported_version",
        "forbidden",
        "not_found",
        "conflict",
        "invalid_state",
        "illegal_transition",
    ):
        assert f"| `{code}` |" in DOC
    for close in (1000, 1008, 1009, 4001, 4002, 4003):
        assert f"| {close} |" in DOC
