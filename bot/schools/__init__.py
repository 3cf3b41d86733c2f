"""Many schools in one deployment (issue #19): the registry, each school's configuration,
its channels, serving several at once, and onboarding. See docs/ARCHITECTURE.md: Schools."""
