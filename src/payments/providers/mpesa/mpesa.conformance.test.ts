import { describeAdapterConformance } from '../conformance/adapter-suite.ts';
import { mpesaConformanceDriver } from './index.ts';

describeAdapterConformance(mpesaConformanceDriver);
