"""Protocols: stateful drivers built on :mod:`hetero_brian.simulate`.

A protocol builds a network once and runs it many times, carrying state (weights, adaptive
thresholds) from one run to the next with ``Simulator.run(final_state=...)``: Diehl & Cook training
(:mod:`.diehl_cook`), the two-ensemble multimodal presentation (:mod:`.multimodal`) and the shared
presentation helpers (:mod:`.presentation`).
"""
