"""Call orchestration in the control plane: ``CallDesk`` (desk.py) runs the signaling core
for this process and turns its effects into socket messages, media requests and stored
rows; ``CallMedia`` (media.py) keeps which peer connection belongs to which call and side."""
