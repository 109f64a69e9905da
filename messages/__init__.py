"""Everything a person reads, in every supported language.

* ``i18n/<locale>.yaml``: the sentences (a flat catalog of Jinja snippets, same keys in
  every locale);
* ``slack/*.json.j2``: Block Kit layouts, rendered by :class:`messages.slack.SlackRenderer`;
* ``web/*.html.j2``: the few web pages the bot serves;
* :mod:`messages.slack_ids`: action, block and callback ids shared with the Slack listeners.
"""
