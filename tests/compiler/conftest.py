import os
import sys
import tempfile

os.environ.setdefault("AD_COMPILER_CACHE_DIR", tempfile.mkdtemp(prefix="adc_compiler_"))
sys.path.insert(0, os.path.dirname(__file__))
