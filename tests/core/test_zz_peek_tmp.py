from tests.core.test_crisis import *  # noqa
async def test_peek(crisis_dialog):
    d = crisis_dialog
    await d.say("student", CRISIS)
    await d.tick(minutes=2)
    await d.say("student", "udh minum 2 butir")
    await d.say("student", "darahnya ga berhenti2")
    sent = [m for m in await d.tick(minutes=3) if m.address == "bk1"]
    print(sent[0].text)
    await d.say("student", "aku sendirian di kamar")
    print([m.text for m in await d.tick(minutes=10) if m.address == "wakasek"][0])
