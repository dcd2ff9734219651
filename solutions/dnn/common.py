from assignments.dnn.common import *  # noqa: F401,F403  (one definition, with the starters)
