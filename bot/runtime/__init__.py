"""Background machinery: dispatcher, effect application, outbox sender, timer loop."""
