"""Mermaid state diagrams of flows, drawn by transitions' own mermaid graph engine."""

from __future__ import annotations

from transitions.extensions.diagrams import GraphMachine

from bot.engine.schema import Flow


def draw_flow(flow: Flow) -> str:
    """Mermaid ``stateDiagram-v2`` source for one flow (labels are trigger names and guards)."""
    class _Sketch:  # a throwaway model: the diagram is drawn from the machine, not from it
        pass

    machine = GraphMachine(
        model=_Sketch(),
        states=list(flow.states),
        initial=flow.start,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title=flow.name,
    )
    for spec in flow.states.values():
        for trigger, handler in spec.handlers():
            for branch in handler.branches:
                conditions = [branch.when.source] if branch.when else []
                machine.add_transition(trigger, spec.name, branch.target or spec.name,
                                       conditions=conditions)
    return machine.get_graph().source
