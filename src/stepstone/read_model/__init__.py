"""The read model both front ends render: runs, steps, sources and comparisons as view models.

``stepstone runs show --json`` and the dashboard's ``/api/v1`` describe the same records with
these pydantic models, so a script reading either gets the same keys and values; the
dashboard's models subclass them to add links. Everything here is computed from records
(:mod:`stepstone.metadata.records`), read through :class:`stepstone.Client`. One module per
resource, imported by what shows it (this package imports none of them, so ``runs list``
builds the models of a run and not those of a comparison):

* :mod:`~stepstone.read_model.runs`: :class:`RunView`, a run as ``runs list`` shows it;
* :mod:`~stepstone.read_model.table`: :class:`RunTable`, runs side by side with their
  parameters and metrics (``runs list --pipeline``, the pipeline page);
* :mod:`~stepstone.read_model.steps`: a run's step runs and :class:`RunDocument` (``runs show``),
  with what was logged on them (:mod:`~stepstone.read_model.logged`);
* :mod:`~stepstone.read_model.sources`: :class:`SourceRun`, for a cached step the step run that
  executed and its run (:meth:`Client.source_of`), resolved by :func:`resolve_sources`;
* :mod:`~stepstone.read_model.comparison`: :class:`RunComparison`, run B against run A with a
  :class:`Verdict` per step (:meth:`Client.compare`);
* :mod:`~stepstone.read_model.explanations`: :class:`ExplanationView`, why one step run ran or
  was cached (``stepstone explain --json``, the step page);
* :mod:`~stepstone.read_model.artifacts`: an artifact as an input or output, a version, and
  :class:`ArtifactDocument` with its :class:`~stepstone.models.Producer`; and
  :mod:`~stepstone.read_model.lineage`: :class:`ArtifactLineage` with the step runs that
  produced, reused or consumed it (``artifacts list|show``, the artifact page);
* :mod:`~stepstone.read_model.cache_entries`: :class:`CacheEntryView` (``cache list``);
* :mod:`~stepstone.read_model.logs`, :mod:`~stepstone.read_model.settings` and
  :mod:`~stepstone.read_model.deletions`: ``logs``, ``config show``, ``runs delete`` and ``gc``
  as JSON.

A step is named ``name`` in a step's own view and ``invocation_name`` where the view is of
something else (an artifact's link, a cache entry, a producer): both are its name in the
pipeline (``trainer_2``); ``definition_name`` is the ``@step``'s (``trainer``).
"""
