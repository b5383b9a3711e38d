import os
import sys
import tempfile

os.environ.setdefault("AD_COMPILER_CACHE_DIR", tempfile.mkdtemp(prefix="adc_indexing_"))
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "compiler"))
