"""Serve an XGBoost model.tar.gz locally as SageMaker's managed XGBoost container would.

    python -m scripts.serve_local [--model model/model.tar.gz] [--port 8080]   # make serve

The logic lives in scripts/local_endpoint/ (see its source.py for the container it mirrors).
"""

import sys

from scripts.local_endpoint.cli import hide_optional_xgboost_imports, main

if __name__ == "__main__":
    hide_optional_xgboost_imports()
    sys.exit(main())
